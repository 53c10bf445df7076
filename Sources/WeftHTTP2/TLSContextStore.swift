import NIOSSL
import Synchronization

/// The server's current `NIOSSLContext`, replaced on reload.
///
/// A connection takes the context current when it is accepted and keeps it for its lifetime, so a reload never
/// touches established connections; a failed reload leaves the current context in place.
final class TLSContextStore: Sendable {
    let settings: TLSSettings
    private let current: Mutex<NIOSSLContext?>

    init(settings: TLSSettings) {
        self.settings = settings
        current = Mutex(nil)
    }

    /// The context for a new connection; loads the files the first time.
    func context() throws -> NIOSSLContext {
        if let context = current.withLock({ $0 }) { return context }
        try reload()
        guard let context = current.withLock({ $0 }) else {
            throw TLSSetupError(message: "no TLS context after loading")
        }
        return context
    }

    /// Reads the files again and makes the result current; on any error the previous context stays.
    func reload() throws {
        let context = try Self.makeContext(settings)
        current.withLock { $0 = context }
    }

    static func makeContext(_ settings: TLSSettings) throws -> NIOSSLContext {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(settings.certificateChainPath)
        } catch {
            throw TLSSetupError(message: "cannot read certificate chain \(settings.certificateChainPath)", cause: error)
        }
        guard !chain.isEmpty else {
            throw TLSSetupError(message: "no certificate in \(settings.certificateChainPath)")
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: settings.privateKeyPath, format: .pem)
        } catch {
            throw TLSSetupError(message: "cannot read private key \(settings.privateKeyPath)", cause: error)
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        configuration.applicationProtocols = ["h2"]
        if let path = settings.clientCAPath {
            let roots: [NIOSSLCertificate]
            do {
                roots = try NIOSSLCertificate.fromPEMFile(path)
            } catch {
                throw TLSSetupError(message: "cannot read client CA \(path)", cause: error)
            }
            guard !roots.isEmpty else { throw TLSSetupError(message: "no certificate in client CA \(path)") }
            configuration.trustRoots = .certificates(roots)
            // Clients are identified by their certificate, not a host name; a client without one is refused.
            configuration.certificateVerification = .noHostnameVerification
            configuration.sendCANameList = true
        } else {
            configuration.certificateVerification = .none
        }
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw TLSSetupError(
                message: "certificate \(settings.certificateChainPath) and key \(settings.privateKeyPath) "
                    + "do not make a TLS context", cause: error)
        }
    }
}
