import Dispatch
import Logging
import Synchronization

/// The threads and queue behind ``RedisClient``.
///
/// Jobs wait in a FIFO queue under a mutex; a semaphore counts them. Each worker thread owns at most one
/// ``RedisConnection`` as a local variable, so a hiredis context is only ever touched by the thread that made it.
final class ConnectionPool: Sendable {
    struct Job: Sendable {
        var commands: [[RedisArgument]]
        var throwOnErrorReply: Bool
        var enqueuedAt: ContinuousClock.Instant
        var continuation: CheckedContinuation<Result<[RedisValue], RedisError>, Never>

        func finish(_ result: Result<[RedisValue], RedisError>) { continuation.resume(returning: result) }
    }

    private struct State {
        var queue: [Job?] = []
        var head = 0
        var isShutdown = false
        var gate: ReconnectGate
        var lastConnectError: RedisError?

        mutating func dequeue() -> Job? {
            guard head < queue.count else { return nil }
            let job = queue[head]
            queue[head] = nil
            head += 1
            if head > 64, head * 2 > queue.count {
                queue.removeFirst(head)
                head = 0
            }
            return job
        }
    }

    private enum Next {
        case job(Job)
        case stop
    }

    private let configuration: RedisConfiguration
    private let logger: Logger
    private let metrics: RedisCommandMetrics
    private let state: Mutex<State>
    private let available = DispatchSemaphore(value: 0)
    private let threadCount: Int

    init(configuration: RedisConfiguration, logger: Logger, metrics: RedisCommandMetrics) {
        self.configuration = configuration
        self.logger = logger
        self.metrics = metrics
        self.threadCount = max(1, configuration.poolSize)
        self.state = Mutex(State(gate: ReconnectGate(backoff: configuration.reconnectBackoff)))
    }

    func start() {
        for index in 0..<threadCount {
            BlockingThread.start(name: "weft-redis-\(index)") { [self] in
                work()
            }
        }
    }

    func shutdown() {
        let drained: [Job] = state.withLock { state in
            guard !state.isShutdown else { return [] }
            state.isShutdown = true
            var jobs: [Job] = []
            while let job = state.dequeue() { jobs.append(job) }
            return jobs
        }
        for job in drained {
            job.finish(.failure(RedisError(.connection, "the Redis client was shut down")))
        }
        // One wake-up per thread; each sees the shutdown and ends.
        for _ in 0..<threadCount { available.signal() }
    }

    func run(_ commands: [[RedisArgument]], throwOnErrorReply: Bool) async throws(RedisError) -> [RedisValue] {
        let result = await withCheckedContinuation { continuation in
            let job = Job(
                commands: commands,
                throwOnErrorReply: throwOnErrorReply,
                enqueuedAt: .now,
                continuation: continuation
            )
            let accepted = state.withLock { state in
                guard !state.isShutdown else { return false }
                state.queue.append(job)
                return true
            }
            if accepted {
                available.signal()
            } else {
                job.finish(.failure(RedisError(.connection, "the Redis client is shut down")))
            }
        }
        return try result.get()
    }

    // MARK: - Worker threads

    private func nextJob() -> Next {
        while true {
            available.wait()
            let next: Next? = state.withLock { state in
                if let job = state.dequeue() { return .job(job) }
                return state.isShutdown ? .stop : nil
            }
            if let next { return next }
        }
    }

    /// A worker thread's loop: take a job, make sure there is a usable connection, run the job.
    private func work() {
        var connection: RedisConnection?
        while case .job(let job) = nextJob() {
            let waited = job.enqueuedAt.duration(to: .now)
            if waited > configuration.commandTimeout {
                job.finish(.failure(RedisError(.timeout, "no free Redis connection within \(waited)")))
                continue
            }
            let current: RedisConnection
            if let existing = connection, existing.isUsable {
                current = existing
            } else {
                connection = nil  // frees a dead context before connecting anew
                switch connect() {
                case .success(let fresh):
                    connection = fresh
                    current = fresh
                case .failure(let error):
                    metrics.record(job.commands, duration: .zero, error: error)
                    job.finish(.failure(error))
                    continue
                }
            }
            let started = ContinuousClock.now
            do throws(RedisError) {
                let values: [RedisValue]
                if job.throwOnErrorReply, let arguments = job.commands.first, job.commands.count == 1 {
                    values = [try current.command(arguments)]
                } else {
                    values = try current.pipeline(job.commands)
                }
                metrics.record(job.commands, duration: started.duration(to: .now), error: nil)
                job.finish(.success(values))
            } catch {
                metrics.record(job.commands, duration: started.duration(to: .now), error: error)
                if error.breaksConnection || current.isBroken {
                    connection = nil
                    logger.debug("dropped a Redis connection", metadata: ["error": "\(error)"])
                }
                job.finish(.failure(error))
            }
        }
    }

    /// Connects unless the reconnect backoff is still running, in which case it fails at once.
    private func connect() -> Result<RedisConnection, RedisError> {
        let blocked: RedisError? = state.withLock { state in
            guard let wait = state.gate.check(now: .now) else { return nil }
            let cause = state.lastConnectError.map { ": \($0.message)" } ?? ""
            return RedisError(
                .connection,
                "Redis at \(configuration) is unavailable\(cause); next attempt in \(wait)",
                cause: state.lastConnectError
            )
        }
        if let blocked { return .failure(blocked) }
        do throws(RedisError) {
            let connection = try RedisConnection(configuration: configuration)
            let recovered = state.withLock { state in
                state.lastConnectError = nil
                return state.gate.succeeded()
            }
            if recovered { logger.info("reconnected to Redis", metadata: ["redis": "\(configuration)"]) }
            return .success(connection)
        } catch {
            let wait = state.withLock { state in
                state.lastConnectError = error
                return state.gate.failed(now: .now)
            }
            logger.warning(
                "cannot connect to Redis",
                metadata: ["redis": "\(configuration)", "error": "\(error.message)", "retry_in": "\(wait)"]
            )
            return .failure(error)
        }
    }
}
