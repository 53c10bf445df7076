import Foundation
import Synchronization
public import WeftRPC

/// Decides whether a call may run, from its `authorization: Bearer` metadata and the service it calls.
///
/// Health is always open (probes carry no credentials), reflection when configured so. A worker token may call
/// only `weft.v1.WorkerService`, a client token every other service. The token never appears in an error or a
/// log line. The accepted tokens are replaced as a whole by ``reload()``.
public final class Authenticator: Sendable {
    /// The service worker tokens are limited to.
    public static let workerService = "weft.v1.WorkerService"
    /// The service that never needs a token.
    public static let healthService = "grpc.health.v1.Health"

    private let tokens: Mutex<BearerTokens>
    private let tokensPath: String?
    /// Services callable without a token.
    public let exemptServices: Set<String>

    /// An authenticator over fixed tokens (tests); ``reload()`` keeps them.
    public init(tokens: BearerTokens, exemptServices: Set<String> = [Authenticator.healthService]) {
        self.tokens = Mutex(tokens)
        tokensPath = nil
        self.exemptServices = exemptServices.union([Self.healthService])
    }

    /// Reads the token file of `settings`; `reflectionServices` are exempt when the settings say so.
    /// - Throws: ``TokenFileError``.
    public init(settings: AuthSettings, reflectionServices: [String]) throws {
        tokens = Mutex(try Self.load(settings.tokensPath))
        tokensPath = settings.tokensPath
        var exempt: Set<String> = [Self.healthService]
        if settings.exemptReflection { exempt.formUnion(reflectionServices) }
        exemptServices = exempt
    }

    /// Reads the token file again; on an error the current tokens stay. Returns how many tokens are accepted.
    @discardableResult
    public func reload() throws -> Int {
        guard let tokensPath else { return tokens.withLock { $0.count } }
        let fresh = try Self.load(tokensPath)
        tokens.withLock { $0 = fresh }
        return fresh.count
    }

    /// Throws the status a call to `service` with `metadata` must end with, or returns when it may run.
    /// - Throws: ``RPCError`` UNAUTHENTICATED (no or unknown token) or PERMISSION_DENIED (wrong role).
    public func authorize(service: String, metadata: Metadata) throws {
        if exemptServices.contains(service) { return }
        guard let presented = Self.bearerToken(in: metadata) else {
            throw RPCError(code: .unauthenticated, message: "missing bearer token")
        }
        let roles = tokens.withLock { $0.roles(of: presented) }
        if roles.isEmpty {
            throw RPCError(code: .unauthenticated, message: "invalid bearer token")
        }
        let needed: TokenRole = service == Self.workerService ? .worker : .client
        if !roles.contains(needed) {
            let message =
                needed == .worker
                ? "\(service) needs a worker token" : "worker tokens may only call \(Self.workerService), not \(service)"
            throw RPCError(code: .permissionDenied, message: message)
        }
    }

    /// The token of the first `authorization` value when it uses the Bearer scheme (case-insensitive).
    static func bearerToken(in metadata: Metadata) -> [UInt8]? {
        guard let value = metadata.first("authorization") else { return nil }
        let bytes = Array(value.utf8)
        let scheme = Array("bearer".utf8)
        guard bytes.count > scheme.count, bytes[scheme.count] == UInt8(ascii: " ") else { return nil }
        for (index, letter) in scheme.enumerated() where bytes[index] | 0x20 != letter {
            return nil
        }
        let token = bytes[(scheme.count + 1)...].drop(while: { $0 == UInt8(ascii: " ") })
        return token.isEmpty ? nil : Array(token)
    }

    private static func load(_ path: String) throws -> BearerTokens {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw TokenFileError(message: "cannot read token file \(path)", cause: error)
        }
        return try BearerTokens(parsing: text, source: path)
    }
}
