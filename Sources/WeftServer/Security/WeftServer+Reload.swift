import Logging
import UnixSignals
import WeftHTTP2

extension WeftServer {
    /// On every SIGHUP, re-reads the TLS files and the token file. Returns when the task is cancelled.
    static func reloadOnHangup(
        _ hangups: UnixSignalsSequence, server: GRPCServer, tls: Bool, authenticator: Authenticator?, logger: Logger
    ) async {
        for await _ in hangups {
            reloadSecurity(server: server, tls: tls, authenticator: authenticator, logger: logger)
        }
    }

    /// Re-reads the TLS files (when TLS is on) and the token file (when authentication is on); each failure is
    /// logged and keeps what is in use. Tokens never reach the log: errors name files and lines only.
    static func reloadSecurity(server: GRPCServer, tls: Bool, authenticator: Authenticator?, logger: Logger) {
        if tls {
            do {
                try server.reloadTLS()
                logger.info("SIGHUP: TLS certificate reloaded; new connections use it")
            } catch {
                logger.error(
                    "SIGHUP: TLS reload failed, keeping the previous certificate", metadata: ["error": "\(error)"])
            }
        }
        if let authenticator {
            do {
                let count = try authenticator.reload()
                logger.info("SIGHUP: token file reloaded", metadata: ["tokens": "\(count)"])
            } catch {
                logger.error(
                    "SIGHUP: token file reload failed, keeping the previous tokens", metadata: ["error": "\(error)"])
            }
        }
    }
}
