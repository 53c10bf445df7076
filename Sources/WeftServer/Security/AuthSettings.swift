/// Bearer-token authentication of RPCs (`--auth-tokens`). `nil` in ``WeftServerConfig/auth``: no authentication.
public struct AuthSettings: Sendable, Hashable {
    /// The token file (format in ``BearerTokens``), read at start and on SIGHUP.
    public var tokensPath: String
    /// Let server reflection through without a token, as health always is. Default `false`: reflection needs a
    /// token, since it lists every method.
    public var exemptReflection: Bool = false

    public init(tokensPath: String, exemptReflection: Bool = false) {
        self.tokensPath = tokensPath
        self.exemptReflection = exemptReflection
    }
}
