/// TLS on the gRPC port: PEM files read at start and again on every ``GRPCServer/reloadTLS()``.
///
/// TLS 1.2 or later only; ALPN advertises `h2` alone. A client that offers no ALPN is served (gRPC over TLS
/// without ALPN still speaks HTTP/2); a client that offers only `http/1.1` completes the handshake without a
/// negotiated protocol and its connection is then closed by the HTTP/2 preface check. `nil` in
/// ``GRPCServerConfig/tls`` means plaintext h2c (the default, for meshes).
public struct TLSSettings: Sendable, Hashable {
    /// The server's certificate chain (PEM, leaf first).
    public var certificateChainPath: String
    /// The private key of the leaf certificate (PEM).
    public var privateKeyPath: String
    /// With it, clients must present a certificate signed by one of these CAs (PEM), mTLS without hostname
    /// verification; `nil`: no client certificate is asked for.
    public var clientCAPath: String?

    public init(certificateChainPath: String, privateKeyPath: String, clientCAPath: String? = nil) {
        self.certificateChainPath = certificateChainPath
        self.privateKeyPath = privateKeyPath
        self.clientCAPath = clientCAPath
    }
}

/// A TLS file that could not be loaded, or a certificate and key that do not make a usable context.
public struct TLSSetupError: Error, Sendable, CustomStringConvertible {
    /// What was being done, naming the file.
    public var message: String
    /// The error from NIOSSL / BoringSSL.
    public var cause: (any Error)?

    public init(message: String, cause: (any Error)? = nil) {
        self.message = message
        self.cause = cause
    }

    public var description: String {
        cause.map { "\(message): \($0)" } ?? message
    }
}
