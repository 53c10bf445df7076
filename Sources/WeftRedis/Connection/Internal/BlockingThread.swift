import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Starts the dedicated threads that make blocking hiredis calls.
///
/// They are plain threads, not Swift concurrency's cooperative pool (whose few threads must never block) nor an
/// event loop: a command may hold its thread for up to the command timeout.
enum BlockingThread {
    /// Starts a detached thread named `name` running `body`, with SIGPIPE blocked on it.
    ///
    /// hiredis writes with `write(2)`, and writing to a connection the server has closed raises SIGPIPE, whose
    /// default action ends the process. SIGPIPE is sent to the writing thread, so blocking it here turns it into
    /// an `EPIPE` error on that write without changing the signal disposition of the rest of weftd.
    static func start(name: String, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread {
            var set = sigset_t()
            sigemptyset(&set)
            sigaddset(&set, SIGPIPE)
            pthread_sigmask(SIG_BLOCK, &set, nil)
            body()
        }
        thread.name = name
        thread.start()
    }

    /// Blocks the calling dedicated thread for `duration` (never call it from a task).
    static func sleep(for duration: Duration) {
        let (seconds, attoseconds) = duration.components
        var request = timespec(tv_sec: .init(seconds), tv_nsec: .init(attoseconds / 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0, errno == EINTR { request = remaining }
    }
}
