import Foundation

/// What an exec command reads on stdin: the attempt as one JSON object (see `docs/executors.md`).
struct ExecRequest: Encodable {
    struct Task: Encodable {
        var id: String
        var type: String
        var complexity: String
        var description: String
        var dependsOn: [String]
        /// The task's input text as the client sent it (usually JSON, passed as a string so nothing is lost).
        var input: String

        enum CodingKeys: String, CodingKey {
            case id, type, complexity, description, input
            case dependsOn = "depends_on"
        }
    }

    struct Reference: Encodable {
        var taskID: String
        var output: String
        var attempt: Int
        var durationMs: Int64

        enum CodingKeys: String, CodingKey {
            case taskID = "task_id"
            case output, attempt
            case durationMs = "duration_ms"
        }
    }

    struct Timeouts: Encodable {
        var startToCloseMs: Int64
        var heartbeatMs: Int64

        enum CodingKeys: String, CodingKey {
            case startToCloseMs = "start_to_close_ms"
            case heartbeatMs = "heartbeat_ms"
        }
    }

    var workflowID: String
    var task: Task
    var attempt: Int
    var constraints: [String: String]
    var lastHeartbeatDetails: String
    var reference: Reference?
    var timeouts: Timeouts

    enum CodingKeys: String, CodingKey {
        case workflowID = "workflow_id"
        case task, attempt, constraints, reference, timeouts
        case lastHeartbeatDetails = "last_heartbeat_details"
    }

    init(_ activity: Activity) {
        let spec = activity.task
        workflowID = activity.workflowID
        task = Task(
            id: spec.id, type: spec.type, complexity: spec.complexity.rawValue, description: spec.description,
            dependsOn: spec.dependsOn, input: spec.input)
        attempt = activity.attempt
        constraints = activity.constraints
        lastHeartbeatDetails = activity.lastHeartbeatDetails
        reference = activity.reference.map {
            Reference(
                taskID: $0.taskID, output: $0.output, attempt: $0.attempt, durationMs: Self.milliseconds($0.duration))
        }
        timeouts = Timeouts(
            startToCloseMs: Self.milliseconds(activity.startToCloseTimeout),
            heartbeatMs: Self.milliseconds(activity.heartbeatTimeout))
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(workflowID, forKey: .workflowID)
        try container.encode(task, forKey: .task)
        try container.encode(attempt, forKey: .attempt)
        try container.encode(constraints, forKey: .constraints)
        try container.encode(lastHeartbeatDetails, forKey: .lastHeartbeatDetails)
        // Present as null rather than absent, so scripts can read it unconditionally.
        try container.encode(reference, forKey: .reference)
        try container.encode(timeouts, forKey: .timeouts)
    }

    /// The request as compact JSON with sorted keys and a final newline.
    func jsonBytes() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Strings, numbers and dictionaries of strings always encode.
        guard let data = try? encoder.encode(self) else { return Array("{}\n".utf8) }
        return Array(data) + [UInt8(ascii: "\n")]
    }

    private static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let (milliseconds, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        return overflow ? (seconds < 0 ? .min : .max) : milliseconds + attoseconds / 1_000_000_000_000_000
    }
}
