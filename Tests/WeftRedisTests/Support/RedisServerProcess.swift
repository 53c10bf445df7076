import Foundation
import WeftRedis

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A redis-server of a test's own, on a free loopback port, without persistence unless asked: for tests that stop and restart
/// Redis (the shared server of `scripts/test` is never touched that way). Stop it with ``stop()``; deinit kills it
/// if a test forgot.
///
/// Started with `posix_spawn` and reaped with `waitpid`, and every wait is a bounded `Task.sleep` loop: the
/// cooperative pool may have only two threads, and blocking one stalls every test running in parallel.
final class RedisServerProcess {
    static let executable: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/redis-server" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let port: Int
    /// With an append-only file (`appendfsync always`), so data survives ``stop()`` and ``start()``.
    let persistent: Bool
    private let directory: String
    private var pid: pid_t?

    /// Picks a free port and starts the server; returns once it accepts connections.
    init(persistent: Bool = false) async throws {
        self.persistent = persistent
        port = try Self.freePort()
        directory =
            FileManager.default.temporaryDirectory.appendingPathComponent("weft-redis-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try await start()
    }

    deinit {
        if let pid {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    var url: String { "redis://127.0.0.1:\(port)" }

    func configuration(commandTimeout: Duration = .milliseconds(500), poolSize: Int = 2) -> RedisConfiguration {
        RedisConfiguration(
            host: "127.0.0.1",
            port: port,
            connectTimeout: .milliseconds(500),
            commandTimeout: commandTimeout,
            poolSize: poolSize
        )
    }

    /// Starts the server on the same port (again); returns once it accepts connections (at most 10 s).
    func start() async throws {
        guard pid == nil else { return }
        guard let executable = Self.executable else { throw Failure(description: "redis-server is not installed") }
        let arguments = [
            executable, "--bind", "127.0.0.1", "--port", String(port), "--save", "", "--appendonly",
            persistent ? "yes" : "no", "--appendfsync", "always", "--dir", directory,
            "--logfile", "\(directory)/redis.log",
        ]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        // The spawning thread may be a dispatch worker with signals blocked, and a child inherits its mask:
        // unblock everything, or redis-server would never see SIGTERM.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGTERM)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var child: pid_t = 0
        let status = posix_spawn(&child, executable, nil, &attributes, &argv, environ)
        guard status == 0 else { throw Failure(description: "posix_spawn redis-server: \(status)") }
        pid = child
        let deadline = ContinuousClock.now + .seconds(10)
        while !Self.accepts(port: port) {
            guard hasNotExited(), ContinuousClock.now < deadline else {
                await stop()
                throw Failure(description: "redis-server did not start on port \(port)")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Stops the server (SIGTERM, then SIGKILL after 5 s) and returns once it has exited.
    func stop() async {
        guard let pid else { return }
        kill(pid, SIGTERM)
        let deadline = ContinuousClock.now + .seconds(5)
        while hasNotExited(), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
        if self.pid != nil {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            self.pid = nil
        }
    }

    /// Reaps the server if it has exited; true while it runs.
    private func hasNotExited() -> Bool {
        guard let pid else { return false }
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid {
            self.pid = nil
            return false
        }
        return true
    }

    private static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket failed") }
        defer { close(fd) }
        var address = loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(fd, socketAddress, length) == 0 && getsockname(fd, socketAddress, &length) == 0
            }
        }
        guard bound else { throw Failure(description: "cannot find a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = loopback(port: port)
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return address
    }
}
