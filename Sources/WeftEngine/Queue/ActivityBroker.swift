/// Hands activities of `queue:NAME` tasks to remote workers and their outcomes back: the seam between the engine
/// (the owner side, which runs the attempt) and the `WorkerService` (the worker side, which polls, heartbeats and
/// completes). The in-memory implementation serves one process; a shared one (Redis) lets workers attached to any
/// replica serve workflows any replica owns, which is why a ``TaskToken`` names its workflow, task and attempt.
///
/// Errors of the worker side are ``EngineError``s: INVALID_ARGUMENT (a bad queue name, details over the limit),
/// NOT_FOUND (a stale or unknown token: the attempt timed out, completed or was cancelled; its outcome is
/// discarded), RESOURCE_EXHAUSTED (a limit of the broker).
public protocol ActivityBroker: Sendable {
    /// The limits and timeouts the broker enforces.
    var config: ActivityBrokerConfig { get }

    /// Attempts this process runs that wait for a worker to take them (admission control reads it on every
    /// submission: cheap, never blocking).
    var pendingActivities: Int { get }

    /// Owner side: queues one attempt on `queue` and waits for a worker's outcome.
    ///
    /// Returns the worker's result or throws its ``ActivityFailure``; throws a non-retryable
    /// `ScheduleToStartTimeout` failure when no worker took it in time, and a retryable `QueueFull` failure when the
    /// queue is at its limit. Stops promptly when the calling task is cancelled (a timeout or a cancelled workflow):
    /// the attempt's token turns stale, and its heartbeats answer `cancelRequested` for a while.
    /// `heartbeat.markStarted()` is called when a worker takes the attempt.
    func execute(_ activity: Activity, queue: String, heartbeat: HeartbeatRecorder) async throws -> ActivityOutput

    /// Worker side: the next activity of `queue`, waiting up to `wait` for one; nil when none came (or the caller
    /// was cancelled).
    func poll(queue: String, workerID: String, identity: String, wait: Duration) async throws -> PolledActivity?

    /// Worker side: resets the attempt's heartbeat deadline and keeps `details` for its next attempt. Returns true
    /// when the attempt was cancelled (its workflow or task was cancelled, or it timed out) and the worker should stop.
    func recordHeartbeat(token: TaskToken, details: String) async throws -> Bool

    /// Worker side: ends the attempt with a result or a failure.
    func complete(token: TaskToken, outcome: ActivityCompletion) async throws

    /// At server shutdown: ends every waiting poll of this process with no activity, and refuses later polls with
    /// UNAVAILABLE, so that workers move to another server instead of holding the drain.
    func shutdown()
}

/// An activity handed to a worker by ``ActivityBroker/poll(queue:workerID:identity:wait:)``.
public struct PolledActivity: Sendable {
    /// Names this attempt in heartbeats and the completion.
    public var token: TaskToken
    /// The attempt: task, attempt number, timeouts, last heartbeat details, the cached reference to adapt.
    public var activity: Activity
    /// When the attempt's start-to-close timeout ends, in milliseconds since the Unix epoch.
    public var deadlineUnixMs: UInt64

    public init(token: TaskToken, activity: Activity, deadlineUnixMs: UInt64) {
        self.token = token
        self.activity = activity
        self.deadlineUnixMs = deadlineUnixMs
    }
}

/// How a worker ended an attempt.
public enum ActivityCompletion: Sendable, Hashable {
    case result(String)
    case failure(ActivityFailure)
}

/// The counts of one queue, for metrics.
public struct QueueStats: Sendable, Hashable {
    public var queue: String
    /// Activities waiting for a worker.
    public var pending: Int
    /// Polls waiting for an activity.
    public var waitingPollers: Int
    /// Activities a worker holds.
    public var running: Int

    public init(queue: String, pending: Int, waitingPollers: Int, running: Int) {
        self.queue = queue
        self.pending = pending
        self.waitingPollers = waitingPollers
        self.running = running
    }
}

/// Hears every change of a queue's counts (metrics). Called under the broker's lock so that counts arrive in order:
/// an implementation must return quickly and never call the broker.
public protocol ActivityBrokerObserver: Sendable {
    func queueChanged(_ stats: QueueStats)
}
