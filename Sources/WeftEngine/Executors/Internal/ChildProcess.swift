import Foundation
import Synchronization

/// One spawned command and the dedicated thread that serves it.
///
/// Pipes are read on a thread of their own rather than on Swift's cooperative pool, whose few threads must never
/// block: the thread runs a `poll` loop over the non-blocking pipes (feeding stdin, reading stdout and stderr,
/// reporting each line), notices the child's exit, signals its process group and reaps it, then hands back an
/// ``Outcome``. One thread per running command is cheap next to the process itself.
///
/// ``terminate()`` (on task cancellation) sends SIGTERM to the group at once; the loop sends SIGKILL when the grace
/// period has passed. When the child exits on its own, whatever else is left in its group is killed, so that no
/// background process outlives its task or holds the pipes open.
final class ChildProcess: Sendable {
    struct Limits: Sendable {
        var maxStdoutBytes: Int
        var stderrTailBytes: Int
        var lineDetailsBytes: Int
        var killGraceMilliseconds: Int64
    }

    struct Outcome: Sendable {
        var termination: ProcessSpawner.Termination
        var stdout: [UInt8]
        var stderrTail: [UInt8]
        /// Bytes of stderr dropped before the tail.
        var stderrTruncated: Bool
        /// stdout passed the limit; the group was killed.
        var stdoutTooLarge: Bool
        /// ``terminate()`` was called before the child was reaped.
        var terminated: Bool
    }

    private struct Shared {
        /// When ``terminate()`` was called (monotonic milliseconds).
        var terminatedAt: Int64?
        /// Once reaped, the pid may be reused: nothing may be signalled any more.
        var reaped = false
    }

    let pid: Int32
    private let child: ProcessSpawner.Child
    private let shared = Mutex(Shared())

    /// Spawns the program; see ``ProcessSpawner/spawn(path:argv:environment:workingDirectory:)``.
    init(path: String, argv: [String], environment: [String], workingDirectory: String?) throws(ProcessSpawner.Failure) {
        child = try ProcessSpawner.spawn(
            path: path, argv: argv, environment: environment, workingDirectory: workingDirectory)
        pid = child.pid
    }

    /// Feeds `input` to stdin (then closes it), calls `onLine` for each line of stdout or stderr (with the stderr
    /// line, or the last one, as details), and returns once the child is reaped.
    func run(input: [UInt8], limits: Limits, onLine: @escaping @Sendable (String) -> Void) async -> Outcome {
        await withCheckedContinuation { (continuation: CheckedContinuation<Outcome, Never>) in
            let thread = Thread { [self] in
                continuation.resume(returning: serve(input: input, limits: limits, onLine: onLine))
            }
            thread.name = "weft-exec-\(pid)"
            thread.start()
        }
    }

    /// Asks the whole process group to stop (SIGTERM now, SIGKILL after the grace period). Safe from any thread, at
    /// any time, more than once.
    func terminate() {
        shared.withLock { shared in
            guard !shared.reaped, shared.terminatedAt == nil else { return }
            shared.terminatedAt = ProcessSpawner.monotonicMilliseconds()
            ProcessSpawner.signalGroup(pid, .terminate)
        }
    }

    // MARK: - The I/O thread

    private func serve(input: [UInt8], limits: Limits, onLine: @Sendable (String) -> Void) -> Outcome {
        ProcessSpawner.blockBrokenPipeSignal()
        var stdin: Int32? = child.stdin
        var stdinOffset = 0
        var stdoutFD: Int32? = child.stdout
        var stderrFD: Int32? = child.stderr
        var stdout: [UInt8] = []
        var stdoutTooLarge = false
        var stderrLine = LineBuffer(limit: limits.lineDetailsBytes)
        var stderrTail = TailBuffer(limit: limits.stderrTailBytes)
        var lastDetails = ""
        var stdoutHasPartialLine = false
        var exitedAt: Int64?
        var killed = false
        var idleWait = 1
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)

        func closeStdin() {
            if let fd = stdin { ProcessSpawner.closeDescriptor(fd) }
            stdin = nil
        }
        func killGroup() {
            if !killed { ProcessSpawner.signalGroup(pid, .kill) }
            killed = true
        }
        func consumeStdout(_ bytes: ArraySlice<UInt8>) {
            for byte in bytes where byte == UInt8(ascii: "\n") { onLine(lastDetails) }
            if let last = bytes.last { stdoutHasPartialLine = last != UInt8(ascii: "\n") }
            guard !stdoutTooLarge else { return }
            if stdout.count + bytes.count > limits.maxStdoutBytes {
                stdoutTooLarge = true
                stdout = []
                killGroup()
            } else {
                stdout += bytes
            }
        }
        func consumeStderr(_ bytes: ArraySlice<UInt8>) {
            stderrTail.append(bytes)
            for line in stderrLine.append(bytes) {
                lastDetails = line
                onLine(line)
            }
        }
        /// Reads what is available; returns false at end of file (or on error).
        func drain(_ fd: Int32, into consume: (ArraySlice<UInt8>) -> Void) -> Bool {
            // Bounded, so that a fast writer on one pipe cannot starve the other.
            for _ in 0..<16 {
                let result = chunk.withUnsafeMutableBytes { ProcessSpawner.readSome(fd, into: $0) }
                switch result {
                case .transferred(let count): consume(chunk[..<count])
                case .wouldBlock: return true
                case .closed, .failed: return false
                }
            }
            return true
        }

        while true {
            let now = ProcessSpawner.monotonicMilliseconds()
            let terminatedAt = shared.withLock { $0.terminatedAt }
            if let terminatedAt, now >= terminatedAt + limits.killGraceMilliseconds { killGroup() }
            if let exitedAt, now >= exitedAt + limits.killGraceMilliseconds {
                // Something that left the process group still holds the pipes: stop waiting for it.
                for fd in [stdoutFD, stderrFD].compactMap({ $0 }) { ProcessSpawner.closeDescriptor(fd) }
                stdoutFD = nil
                stderrFD = nil
            }
            if exitedAt != nil, stdoutFD == nil, stderrFD == nil { break }

            var timeout: Int
            if stdoutFD != nil || stderrFD != nil {
                timeout = exitedAt == nil ? 100 : 20
            } else {
                // Pipes closed, child still running: poll for its exit, backing off to 50 ms.
                timeout = idleWait
                idleWait = min(idleWait * 2, 50)
            }
            if let terminatedAt, !killed {
                timeout = max(0, min(timeout, Int(terminatedAt + limits.killGraceMilliseconds - now)))
            }
            let reading = [stdoutFD, stderrFD].compactMap { $0 }
            let writing = stdin.map { [$0] } ?? []
            let ready = ProcessSpawner.waitForIO(readable: reading, writable: writing, timeoutMilliseconds: timeout)

            if let fd = stdin, ready.contains(fd) {
                let result = input.withUnsafeBytes {
                    ProcessSpawner.writeSome(fd, UnsafeRawBufferPointer(rebasing: $0[stdinOffset...]))
                }
                switch result {
                case .transferred(let count):
                    stdinOffset += count
                    if stdinOffset >= input.count { closeStdin() }
                case .wouldBlock: break
                case .closed, .failed: closeStdin()  // The child does not read its input; its business.
                }
            } else if stdin != nil, stdinOffset >= input.count {
                closeStdin()
            }
            if let fd = stdoutFD, ready.contains(fd), !drain(fd, into: consumeStdout) {
                ProcessSpawner.closeDescriptor(fd)
                stdoutFD = nil
                if stdoutHasPartialLine { onLine(lastDetails) }
            }
            if let fd = stderrFD, ready.contains(fd), !drain(fd, into: consumeStderr) {
                ProcessSpawner.closeDescriptor(fd)
                stderrFD = nil
                if let line = stderrLine.finish() {
                    lastDetails = line
                    onLine(line)
                }
            }
            if exitedAt == nil, ProcessSpawner.hasExited(pid) {
                exitedAt = ProcessSpawner.monotonicMilliseconds()
                // The leader is gone but not reaped, so the group id is still ours: end whatever it left behind.
                ProcessSpawner.signalGroup(pid, .kill)
                closeStdin()
            }
        }
        closeStdin()

        let (termination, terminated) = shared.withLock { shared in
            let termination = ProcessSpawner.reap(pid)
            shared.reaped = true
            return (termination, shared.terminatedAt != nil)
        }
        let tail = stderrTail.bytes
        return Outcome(
            termination: termination, stdout: stdout, stderrTail: tail, stderrTruncated: stderrTail.wasTruncated,
            stdoutTooLarge: stdoutTooLarge, terminated: terminated)
    }
}

/// Splits a byte stream into lines of at most `limit` bytes (the rest of a longer line is dropped).
struct LineBuffer {
    var limit: Int
    private var current: [UInt8] = []
    private var pending = false

    init(limit: Int) { self.limit = limit }

    /// Appends bytes and returns the lines they complete, without their line ending.
    mutating func append(_ bytes: ArraySlice<UInt8>) -> [String] {
        var lines: [String] = []
        var rest = bytes[...]
        while let newline = rest.firstIndex(of: UInt8(ascii: "\n")) {
            take(rest[..<newline])
            lines.append(emit())
            rest = rest[rest.index(after: newline)...]
        }
        take(rest)
        return lines
    }

    /// The last line if it had no line ending.
    mutating func finish() -> String? {
        pending ? emit() : nil
    }

    private mutating func take(_ bytes: ArraySlice<UInt8>) {
        if !bytes.isEmpty { pending = true }
        let room = limit - current.count
        if room > 0 { current += bytes.prefix(room) }
    }

    private mutating func emit() -> String {
        var line = current[...]
        if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
        current.removeAll(keepingCapacity: true)
        pending = false
        return String(decoding: line, as: UTF8.self)
    }
}

/// Keeps the last `limit` bytes of a stream.
struct TailBuffer {
    var limit: Int
    private var storage: [UInt8] = []
    private var truncated = false

    init(limit: Int) { self.limit = limit }

    mutating func append(_ bytes: ArraySlice<UInt8>) {
        storage += bytes
        // Trim in large steps so that appending stays amortized O(1).
        if storage.count > 2 * limit {
            storage.removeFirst(storage.count - limit)
            truncated = true
        }
    }

    /// The last `limit` bytes, without a leading partial UTF-8 sequence.
    var bytes: [UInt8] {
        var tail = storage.count > limit ? storage.suffix(limit) : storage[...]
        if storage.count > limit || truncated {
            while let first = tail.first, first & 0xC0 == 0x80 { tail = tail.dropFirst() }
        }
        return Array(tail)
    }

    /// Whether bytes were dropped before ``bytes``.
    var wasTruncated: Bool { truncated || storage.count > limit }
}
