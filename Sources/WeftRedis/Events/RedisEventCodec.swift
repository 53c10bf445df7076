import Foundation
import WeftEngine
import WeftMapping
import WeftMessages
import WeftRPC

/// One event's writes: the `XADD` and the state its checkpoint stores, without the transaction around them and the
/// `last_seq` and `PUBLISH` that ``RedisEventCodec/transaction(_:)`` adds once per workflow of a batch.
struct RedisEventWrite: Sendable {
    var workflowID: String
    var sequence: UInt64
    var commands: [[RedisArgument]]

    /// The size of the commands' arguments, for the backlog gauge.
    var bytes: Int { commands.reduce(0) { $0 + $1.reduce(0) { $0 + $1.bytes.count } } }
}

/// How events and their checkpoints become Redis commands, and how stream entries become events again.
struct RedisEventCodec: Sendable {
    let layout: RedisWorkflowLayout
    /// `XADD … MAXLEN ~ n`: the approximate cap on a stream's length.
    let streamMaxLength: Int
    /// Seconds a finished workflow's keys live (`EXPIRE` with the terminal event).
    let retentionSeconds: Int64
    /// This process's instance id and the lifetime of its lease key.
    let instance: String
    let leaseMilliseconds: Int64

    /// One `MULTI … EXEC` transaction for a batch of events, in order: each event (`XADD`) with the state it
    /// announces (`HSET`, the active set), then per workflow its last sequence (`HSET … last_seq`) and one `PUBLISH`
    /// of it. No reader ever sees an event without its state, and a notification goes out only once everything
    /// before it is stored. Watchers read by sequence, so one notification per workflow and batch is enough.
    func transaction(_ writes: [RedisEventWrite]) -> [[RedisArgument]] {
        var commands: [[RedisArgument]] = [["MULTI"]]
        var order: [String] = []
        var last: [String: UInt64] = [:]
        for write in writes {
            commands += write.commands
            if last.updateValue(write.sequence, forKey: write.workflowID) == nil { order.append(write.workflowID) }
        }
        for id in order {
            let sequence = RedisArgument(last[id] ?? 0)
            commands.append([
                "HSET", RedisArgument(layout.workflowKey(id)), RedisArgument(RedisWorkflowLayout.Field.lastSequence),
                sequence,
            ])
            commands.append(["PUBLISH", RedisArgument(layout.updatesChannel(id)), sequence])
        }
        commands.append(["EXEC"])
        return commands
    }

    /// The writes of one event: the `XADD` and the state its checkpoint announces.
    func write(for event: WorkflowEvent, checkpoint: WorkflowCheckpoint) -> RedisEventWrite {
        let id = event.workflowID
        let sequence = event.sequence
        var commands: [[RedisArgument]] = []
        let message = WorkflowMapping.event(event)
        commands.append([
            "XADD", RedisArgument(layout.streamKey(id)), "MAXLEN", "~", RedisArgument(streamMaxLength),
            RedisArgument(RedisWorkflowLayout.entryID(sequence)),
            "seq", RedisArgument(sequence), "kind", RedisArgument(event.payload.kind),
            "task_id", RedisArgument(Self.taskID(of: event.payload) ?? ""),
            "event", RedisArgument(message.wireBytes()), "summary", RedisArgument(Self.summary(event)),
        ])
        typealias Field = RedisWorkflowLayout.Field
        var workflow: [RedisArgument] = []
        if let accepted = checkpoint.accepted {
            workflow += [
                RedisArgument(Field.spec), RedisArgument(WorkflowMapping.request(from: accepted.spec).wireBytes()),
                RedisArgument(Field.createdUnixMs), RedisArgument(accepted.createdUnixMs),
                RedisArgument(Field.status), RedisArgument(WorkflowStatus.pending.rawValue),
                RedisArgument(Field.owner), RedisArgument(instance),
            ]
        }
        if let finished = checkpoint.finished {
            workflow += [
                RedisArgument(Field.status), RedisArgument(finished.status.rawValue),
                RedisArgument(Field.finishedUnixMs), RedisArgument(finished.unixMs),
            ]
        }
        if let expansion = checkpoint.expansion {
            let tasks = Weft_V1_SubmitWorkflowRequest(tasks: expansion.tasks.map(WorkflowMapping.taskSpec))
            workflow += [
                RedisArgument("\(Field.expansionPrefix)\(sequence):\(expansion.parentTaskID)"),
                RedisArgument(tasks.wireBytes()),
            ]
        }
        if !workflow.isEmpty { commands.append(["HSET", RedisArgument(layout.workflowKey(id))] + workflow) }
        if !checkpoint.tasks.isEmpty {
            var tasks: [RedisArgument] = ["HSET", RedisArgument(layout.tasksKey(id))]
            for task in checkpoint.tasks {
                tasks.append(RedisArgument(task.taskID))
                tasks.append(RedisArgument(WorkflowMapping.taskState(task).wireBytes()))
            }
            commands.append(tasks)
        }
        if let accepted = checkpoint.accepted {
            commands.append(["SADD", RedisArgument(layout.activeKey), RedisArgument(id)])
            commands.append(["ZADD", RedisArgument(layout.indexKey), RedisArgument(accepted.createdUnixMs), RedisArgument(id)])
            // The owner's lease exists before anyone can see the workflow, so no other process takes it over.
            commands.append(lease())
        }
        if event.payload.isTerminal {
            commands.append(["SREM", RedisArgument(layout.activeKey), RedisArgument(id)])
            for key in [layout.streamKey(id), layout.workflowKey(id), layout.tasksKey(id)] {
                commands.append(["EXPIRE", RedisArgument(key), RedisArgument(retentionSeconds)])
            }
        }
        return RedisEventWrite(workflowID: id, sequence: sequence, commands: commands)
    }

    /// `SET weft:wf:owner:{instance} 1 PX {lease}`: keeps this process's workflows its own.
    func lease() -> [RedisArgument] {
        ["SET", RedisArgument(layout.ownerKey(instance)), "1", "PX", RedisArgument(leaseMilliseconds)]
    }

    /// The task an event is about, if any (the stream's `task_id` field).
    static func taskID(of payload: WorkflowEvent.Payload) -> String? {
        switch payload {
        case .taskStarted(let taskID, _, _), .taskHeartbeat(let taskID, _, _),
            .taskFailed(let taskID, _, _, _, _, _), .taskSkipped(let taskID, _):
            taskID
        case .taskCompleted(let result): result.taskID
        default: nil
        }
    }

    /// The stream's `summary` field: a small JSON object for people following the stream with redis-cli, e.g.
    /// `{"seq":7,"kind":"task_started","progress":"3/30","task_id":"build","attempt":1}`.
    static func summary(_ event: WorkflowEvent) -> String {
        var summary = Summary(
            seq: event.sequence, kind: event.payload.kind,
            progress: "\(event.progress.completed)/\(event.progress.total)", taskID: taskID(of: event.payload))
        switch event.payload {
        case .taskStarted(_, let attempt, _), .taskHeartbeat(_, let attempt, _): summary.attempt = attempt
        case .taskCompleted(let result): summary.attempt = result.attempt
        case .taskFailed(_, let attempt, let error, _, let willRetry, _):
            summary.attempt = attempt
            summary.error = String(error.prefix(200))
            summary.willRetry = willRetry
        case .taskSkipped(_, let reason), .workflowCancelled(let reason): summary.reason = String(reason.prefix(200))
        case .workflowFailed(let error, _, _): summary.error = String(error.prefix(200))
        case .batchStarted(let index, _), .batchCompleted(let index, _): summary.batch = index
        default: break
        }
        return encode(summary)
    }

    /// The summary's fields (snake_case in the JSON); absent ones are left out.
    private struct Summary: Encodable {
        var seq: UInt64
        var kind: String
        var progress: String
        var taskID: String?
        var attempt: Int?
        var error: String?
        var willRetry: Bool?
        var reason: String?
        var batch: Int?
    }

    private static func encode(_ summary: Summary) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        guard let data = try? encoder.encode(summary) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    /// The events of an `XRANGE` reply, in order.
    /// - Throws: ``EngineError`` INTERNAL naming the entry when one cannot be decoded.
    static func events(fromRange reply: RedisValue) throws -> [WorkflowEvent] {
        guard let entries = reply.array else {
            throw EngineError(.internal, "XRANGE returned \(reply), not an array")
        }
        return try entries.map(event(fromEntry:))
    }

    private static func event(fromEntry entry: RedisValue) throws -> WorkflowEvent {
        guard let parts = entry.array, parts.count == 2, let fields = parts[1].array else {
            throw EngineError(.internal, "unexpected stream entry \(entry)")
        }
        var index = 0
        while index + 1 < fields.count {
            if fields[index].string == "event", let bytes = fields[index + 1].bytes {
                do {
                    return try WorkflowMapping.event(from: Weft_V1_WorkflowEvent(wireBytes: bytes))
                } catch {
                    throw EngineError(.internal, "stream entry \(parts[0]) holds no valid event: \(error)", cause: error)
                }
            }
            index += 2
        }
        throw EngineError(.internal, "stream entry \(parts[0]) has no event field")
    }
}

