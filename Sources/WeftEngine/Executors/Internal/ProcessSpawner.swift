#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// The exec executor's POSIX calls, and the only file of the module that makes them: spawning a child in its own
/// process group, non-blocking pipe I/O, signals to the group, and reaping.
enum ProcessSpawner {
    /// A running child: its pid (also its process group id) and the parent's ends of its pipes, non-blocking.
    struct Child: Sendable {
        var pid: Int32
        var stdin: Int32
        var stdout: Int32
        var stderr: Int32
    }

    /// How a child ended.
    enum Termination: Sendable, Hashable {
        case exited(Int32)
        case signaled(Int32)
        /// Someone else reaped the child, so how it ended is unknown.
        case unknown
    }

    /// A failed system call: its name and errno.
    struct Failure: Error, Sendable, CustomStringConvertible {
        var call: String
        var code: Int32

        /// True when retrying later could help (resources), false for a missing or unusable program.
        var isTransient: Bool { ![ENOENT, EACCES, ENOEXEC, ENOTDIR, EISDIR, ELOOP, ENAMETOOLONG].contains(code) }

        var description: String { "\(call): \(String(cString: strerror(code)))" }
    }

    /// Result of one read or write.
    enum IOResult {
        case transferred(Int)
        case wouldBlock
        /// End of file on a read; the reader is gone (EPIPE) on a write.
        case closed
        case failed(Int32)
    }

    enum Signal {
        case terminate, kill

        var number: Int32 { self == .terminate ? SIGTERM : SIGKILL }
    }

    // MARK: - Spawning

    /// Starts `path` with `argv` and `environment` ("KEY=value") in a new process group whose id is the child's pid,
    /// with signal mask and dispositions reset, stdin/stdout/stderr connected to fresh pipes and no other descriptor.
    static func spawn(
        path: String, argv: [String], environment: [String], workingDirectory: String?
    ) throws(Failure) -> Child {
        try spawnLock.withLock { _ throws(Failure) in
            try spawnLocked(path: path, argv: argv, environment: environment, workingDirectory: workingDirectory)
        }
    }

    /// Serializes our spawns: where pipes cannot be made close-on-exec atomically, another spawn must not run
    /// between `pipe` and `fcntl`.
    private static let spawnLock = Mutex(())

    private static func spawnLocked(
        path: String, argv: [String], environment: [String], workingDirectory: String?
    ) throws(Failure) -> Child {
        var opened: [Int32] = []
        func closeAll() { for fd in opened { _ = close(fd) } }
        func makePipe() throws(Failure) -> (read: Int32, write: Int32) {
            var fds: [Int32] = [-1, -1]
            if let pipe2 = GNUExtensions.shared.pipe2 {
                // Close-on-exec from the start, so no spawn or fork elsewhere in weftd can inherit these.
                guard pipe2(&fds, O_CLOEXEC) == 0 else { throw Failure(call: "pipe2", code: errno) }
            } else {
                // Our own spawns hold `spawnLock` across this window.
                guard pipe(&fds) == 0 else { throw Failure(call: "pipe", code: errno) }
                _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
                _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
            }
            opened += fds
            return (fds[0], fds[1])
        }

        let stdinPipe: (read: Int32, write: Int32)
        let stdoutPipe: (read: Int32, write: Int32)
        let stderrPipe: (read: Int32, write: Int32)
        do {
            stdinPipe = try makePipe()
            stdoutPipe = try makePipe()
            stderrPipe = try makePipe()
        } catch {
            closeAll()
            throw error
        }

        #if os(Linux)
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        #else
        var actions: posix_spawn_file_actions_t?
        var attributes: posix_spawnattr_t?
        #endif
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }

        // dup2 clears close-on-exec on the targets; every other descriptor is close-on-exec.
        posix_spawn_file_actions_adddup2(&actions, stdinPipe.read, 0)
        posix_spawn_file_actions_adddup2(&actions, stdoutPipe.write, 1)
        posix_spawn_file_actions_adddup2(&actions, stderrPipe.write, 2)
        // Descriptors weftd opened without close-on-exec must not leak into the command either.
        if let closeFrom = GNUExtensions.shared.addclosefrom { _ = closeFrom(&actions, 3) }
        if let workingDirectory {
            #if os(Linux)
            guard let addchdir = GNUExtensions.shared.addchdir else {
                closeAll()
                throw Failure(call: "posix_spawn_file_actions_addchdir_np (glibc 2.29 or later)", code: ENOSYS)
            }
            _ = addchdir(&actions, workingDirectory)
            #else
            posix_spawn_file_actions_addchdir_np(&actions, workingDirectory)
            #endif
        }

        var flags = Int32(POSIX_SPAWN_SETPGROUP) | Int32(POSIX_SPAWN_SETSIGMASK) | Int32(POSIX_SPAWN_SETSIGDEF)
        #if canImport(Darwin)
        flags |= Int32(POSIX_SPAWN_CLOEXEC_DEFAULT)
        #endif
        posix_spawnattr_setflags(&attributes, Int16(flags))
        posix_spawnattr_setpgroup(&attributes, 0)
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        // weftd may ignore SIGPIPE (and others); ignored dispositions would otherwise survive exec.
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        sigdelset(&allSignals, SIGKILL)
        sigdelset(&allSignals, SIGSTOP)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)

        let cArguments = argv.map { strdup($0) } + [nil]
        let cEnvironment = environment.map { strdup($0) } + [nil]
        defer {
            for pointer in cArguments { free(pointer) }
            for pointer in cEnvironment { free(pointer) }
        }
        var pid: pid_t = 0
        let result = cArguments.withUnsafeBufferPointer { arguments in
            cEnvironment.withUnsafeBufferPointer { environment in
                posix_spawn(&pid, path, &actions, &attributes, arguments.baseAddress!, environment.baseAddress!)
            }
        }
        guard result == 0 else {
            closeAll()
            throw Failure(call: "posix_spawn \(path)", code: result)
        }

        for fd in [stdinPipe.read, stdoutPipe.write, stderrPipe.write] { _ = close(fd) }
        for fd in [stdinPipe.write, stdoutPipe.read, stderrPipe.read] {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        return Child(pid: pid, stdin: stdinPipe.write, stdout: stdoutPipe.read, stderr: stderrPipe.read)
    }

    /// The executable for `program`: itself when it holds a slash, else the first executable regular file named
    /// `program` in the directories of `searchPath`.
    static func resolveExecutable(_ program: String, searchPath: String) -> String? {
        if program.contains("/") { return program }
        for directory in searchPath.split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = (directory.isEmpty ? "." : String(directory)) + "/" + program
            var info = stat()
            if stat(candidate, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, access(candidate, X_OK) == 0 {
                return candidate
            }
        }
        return nil
    }

    // MARK: - I/O

    static func readSome(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> IOResult {
        while true {
            let count = read(fd, buffer.baseAddress, buffer.count)
            if count > 0 { return .transferred(count) }
            if count == 0 { return .closed }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            case let code: return .failed(code)
            }
        }
    }

    /// Writes to a pipe; the calling thread must have SIGPIPE blocked (``blockBrokenPipeSignal()``).
    static func writeSome(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> IOResult {
        while true {
            let count = write(fd, bytes.baseAddress, bytes.count)
            if count >= 0 { return .transferred(count) }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            case EPIPE: return .closed
            case let code: return .failed(code)
            }
        }
    }

    /// Waits up to `timeoutMilliseconds` for the descriptors to be readable (or closed) and writable; returns the
    /// ready ones (none on timeout or interruption). With no descriptors it just sleeps.
    static func waitForIO(readable: [Int32], writable: [Int32], timeoutMilliseconds: Int) -> Set<Int32> {
        var fds = readable.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            + writable.map { pollfd(fd: $0, events: Int16(POLLOUT), revents: 0) }
        let count = poll(&fds, nfds_t(fds.count), Int32(clamping: timeoutMilliseconds))
        guard count > 0 else { return [] }
        return Set(fds.filter { $0.revents != 0 }.map(\.fd))
    }

    static func closeDescriptor(_ fd: Int32) {
        _ = close(fd)
    }

    /// Blocks SIGPIPE for the calling thread, so writing to a pipe whose reader is gone fails with EPIPE instead of
    /// killing weftd. Only for dedicated threads that end afterwards (a pending SIGPIPE dies with the thread).
    static func blockBrokenPipeSignal() {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    // MARK: - Process control

    /// Sends `signal` to every process of the group `pgid` (the child's pid); errors (group gone) are ignored.
    static func signalGroup(_ pgid: Int32, _ signal: Signal) {
        _ = kill(-pgid, signal.number)
    }

    /// Whether the child has exited, without reaping it: until it is reaped its pid, and so its process group id,
    /// cannot be reused, so signalling the group stays safe.
    static func hasExited(_ pid: Int32) -> Bool {
        var info = siginfo_t()
        while true {
            if waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 { return info.si_signo == SIGCHLD }
            // ECHILD: reaped behind our back (SIGCHLD ignored, or a waitpid(-1) elsewhere); it is gone all the same.
            if errno != EINTR { return true }
        }
    }

    /// Reaps the child, waiting for it to exit.
    static func reap(_ pid: Int32) -> Termination {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { return .unknown }
        }
        // The W* macros are not imported: low 7 bits are the signal (0 = exited), the next byte the exit code.
        let signal = status & 0x7f
        return signal == 0 ? .exited((status >> 8) & 0xff) : .signaled(signal)
    }

    /// Milliseconds of the monotonic clock, for the kill grace period (real time, whatever the engine clock is).
    static func monotonicMilliseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }

    /// `SIGKILL` for 9, `signal 64` for what has no common name.
    static func signalName(_ number: Int32) -> String {
        let names: [Int32: String] = [
            SIGHUP: "SIGHUP", SIGINT: "SIGINT", SIGQUIT: "SIGQUIT", SIGILL: "SIGILL", SIGTRAP: "SIGTRAP",
            SIGABRT: "SIGABRT", SIGBUS: "SIGBUS", SIGFPE: "SIGFPE", SIGKILL: "SIGKILL", SIGUSR1: "SIGUSR1",
            SIGSEGV: "SIGSEGV", SIGUSR2: "SIGUSR2", SIGPIPE: "SIGPIPE", SIGALRM: "SIGALRM", SIGTERM: "SIGTERM",
            SIGXCPU: "SIGXCPU", SIGXFSZ: "SIGXFSZ",
        ]
        return names[number] ?? "signal \(number)"
    }
}

/// glibc functions that Swift's Glibc module hides (declared only under `_GNU_SOURCE`), looked up at run time. Both
/// have fixed argument lists, so calling them through these pointers is an ordinary C call.
private struct GNUExtensions: Sendable {
    typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>?, Int32) -> Int32
    typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, UnsafePointer<CChar>?) -> Int32

    typealias AddClosefrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32

    let pipe2: Pipe2?
    let addchdir: AddChdir?
    /// glibc 2.34 or later.
    let addclosefrom: AddClosefrom?

    static let shared: GNUExtensions = {
        #if os(Linux)
        let handle = dlopen(nil, RTLD_LAZY)
        return GNUExtensions(
            pipe2: dlsym(handle, "pipe2").map { unsafeBitCast($0, to: Pipe2.self) },
            addchdir: dlsym(handle, "posix_spawn_file_actions_addchdir_np").map { unsafeBitCast($0, to: AddChdir.self) },
            addclosefrom: dlsym(handle, "posix_spawn_file_actions_addclosefrom_np").map {
                unsafeBitCast($0, to: AddClosefrom.self)
            })
        #else
        return GNUExtensions(pipe2: nil, addchdir: nil, addclosefrom: nil)
        #endif
    }()
}
