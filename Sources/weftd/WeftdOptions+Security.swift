import ArgumentParser

/// The TLS and authentication options of `weftd`; each names its environment variable.
struct SecurityOptions: ParsableArguments {
    @Option(help: "TLS certificate chain, PEM (env WEFT_TLS_CERT; default: plaintext h2c). Re-read on SIGHUP.")
    var tlsCert: String?

    @Option(help: "TLS private key, PEM (env WEFT_TLS_KEY; required with --tls-cert). Re-read on SIGHUP.")
    var tlsKey: String?

    @Option(help: "CA bundle, PEM: require client certificates signed by it, mTLS (env WEFT_TLS_CLIENT_CA; default none).")
    var tlsClientCa: String?

    @Option(help: "File of accepted bearer tokens, lines client:TOKEN or worker:TOKEN (env WEFT_AUTH_TOKENS; default: no authentication). Re-read on SIGHUP.")
    var authTokens: String?

    @Flag(help: "Serve server reflection without a token, as health always is (env WEFT_AUTH_EXEMPT_REFLECTION=true).")
    var authExemptReflection = false
}
