import ArgumentParser
import WeftHTTP2
import WeftServer

extension WeftdConfiguration {
    /// Maps the TLS and token options onto `config`: a flag wins over its variable; an empty variable is unset.
    static func applySecurity(
        _ options: SecurityOptions, environment: [String: String], to config: inout WeftServerConfig
    ) throws {
        func value(_ flag: String?, _ name: String) -> String? {
            let text = flag ?? environment[name]
            return text?.isEmpty == true ? nil : text
        }
        let cert = value(options.tlsCert, "WEFT_TLS_CERT")
        let key = value(options.tlsKey, "WEFT_TLS_KEY")
        let clientCA = value(options.tlsClientCa, "WEFT_TLS_CLIENT_CA")
        switch (cert, key) {
        case let (cert?, key?):
            config.transport.tls = TLSSettings(certificateChainPath: cert, privateKeyPath: key, clientCAPath: clientCA)
        case (nil, nil):
            if clientCA != nil { throw ValidationError("--tls-client-ca needs --tls-cert and --tls-key") }
        default:
            throw ValidationError("--tls-cert and --tls-key (WEFT_TLS_CERT, WEFT_TLS_KEY) must be given together")
        }
        if let tokens = value(options.authTokens, "WEFT_AUTH_TOKENS") {
            let exempt: Bool
            if options.authExemptReflection {
                exempt = true
            } else {
                switch environment["WEFT_AUTH_EXEMPT_REFLECTION"]?.lowercased() {
                case nil, "", "false", "0", "no", "off": exempt = false
                case "true", "1", "yes", "on": exempt = true
                case let text?: throw ValidationError("WEFT_AUTH_EXEMPT_REFLECTION=\(text) is not true or false")
                }
            }
            config.auth = AuthSettings(tokensPath: tokens, exemptReflection: exempt)
        } else if options.authExemptReflection {
            throw ValidationError("--auth-exempt-reflection needs --auth-tokens")
        }
    }
}
