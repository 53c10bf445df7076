/// The Redis keys and channels of ``RedisEventLog`` (a public interface, documented in `docs/redis.md` and the
/// README).
///
/// With the default prefixes:
/// - `workflow:stream:{id}`: the workflow's events, a stream with entry ids `0-{sequence}` and fields `seq`, `kind`,
///   `task_id`, `event` (the `weft.v1.WorkflowEvent` protobuf bytes) and `summary` (a small JSON object);
/// - `workflow:updates:{id}`: the pub/sub channel carrying each new event's sequence number;
/// - `weft:wf:{id}`: a hash with the accepted spec and the workflow's status (fields in ``Field``);
/// - `weft:wf:{id}:tasks`: a hash from task id to its state (`weft.v1.TaskState` protobuf bytes);
/// - `weft:wf:active`: the set of workflows a starting weftd resumes;
/// - `weft:wf:index`: every accepted workflow by creation time (ListWorkflows on any process); ids whose hashes
///   expired are dropped when a listing meets them;
/// - `weft:wf:owner:{instance}`: a key with a short TTL that a running weftd keeps alive; a workflow whose owner's
///   key has expired is taken over by another process.
public struct RedisWorkflowLayout: Sendable, Hashable {
    /// Prefix of the stream and channel keys. Default `workflow` (the original platform's names).
    public var eventPrefix: String
    /// Prefix of the state hashes and the active set. Default `weft:wf`.
    public var statePrefix: String

    /// The fields of the `weft:wf:{id}` hash.
    public enum Field {
        /// The accepted workflow as `weft.v1.SubmitWorkflowRequest` protobuf bytes.
        public static let spec = "spec"
        /// PENDING (accepted), then COMPLETED, FAILED or CANCELLED with the terminal event.
        public static let status = "status"
        public static let createdUnixMs = "created_ms"
        public static let finishedUnixMs = "finished_ms"
        /// The sequence of the last event written: a resumed run continues after it.
        public static let lastSequence = "last_seq"
        /// The instance id of the weftd running the workflow (its lease is `ownerKey(instance)`).
        public static let owner = "owner"
        /// `expansion:{sequence}:{parent task id}`: the tasks a META task added, as a `SubmitWorkflowRequest`
        /// holding only `tasks`.
        public static let expansionPrefix = "expansion:"
    }

    /// A layout with the given prefixes (tests sharing one Redis use their own).
    public init(eventPrefix: String = "workflow", statePrefix: String = "weft:wf") {
        self.eventPrefix = eventPrefix
        self.statePrefix = statePrefix
    }

    public func streamKey(_ workflowID: String) -> String { "\(eventPrefix):stream:\(workflowID)" }
    public func updatesChannel(_ workflowID: String) -> String { "\(eventPrefix):updates:\(workflowID)" }
    public func workflowKey(_ workflowID: String) -> String { "\(statePrefix):\(workflowID)" }
    public func tasksKey(_ workflowID: String) -> String { "\(statePrefix):\(workflowID):tasks" }
    public var activeKey: String { "\(statePrefix):active" }
    /// Every accepted workflow by creation time (a sorted set: score created ms, member id), for listings.
    public var indexKey: String { "\(statePrefix):index" }
    public func ownerKey(_ instance: String) -> String { "\(statePrefix):owner:\(instance)" }
    /// The pub/sub channel of cancellation requests (`{workflow id}\n{reason}`) for the process running a workflow.
    public var cancelChannel: String { "\(statePrefix):cancel" }

    /// The stream entry id of a sequence number.
    static func entryID(_ sequence: UInt64) -> String { "0-\(sequence)" }
}
