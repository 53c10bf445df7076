import WeftEngine
import WeftMapping
import WeftMessages
import WeftRPC

/// Reads back the workflows in the active set, for ``RedisEventLog/activeWorkflows(skipping:)``.
struct RedisWorkflowReader: Sendable {
    let client: RedisClient
    let layout: RedisWorkflowLayout

    /// Claims a workflow for a new owner only if its owner is still the one read (compare and set).
    private static let claimScript = """
        local owner = redis.call('HGET', KEYS[1], 'owner') or ''
        if owner == ARGV[1] then redis.call('HSET', KEYS[1], 'owner', ARGV[2]) return 1 end
        return 0
        """

    /// Every active workflow not `known` here whose owner's lease has expired (or that is this process's own),
    /// claimed for `instance`, oldest first. Only claimable ones are read in full, so polling this every second
    /// costs two round trips while every workflow has a live owner. An id whose hash is missing is removed from the
    /// set; one whose state cannot be decoded is left out.
    func activeWorkflows(claimFor instance: String, skipping known: (String) -> Bool) async throws
        -> [StoredWorkflow]
    {
        do {
            let ids = (try await client.command("SMEMBERS", RedisArgument(layout.activeKey)).array ?? [])
                .compactMap(\.string).filter { !known($0) }
            guard !ids.isEmpty else { return [] }
            let owners = try await client.pipeline(ids.map { id in
                ["HGET", RedisArgument(layout.workflowKey(id)), RedisArgument(RedisWorkflowLayout.Field.owner)]
            }).map { $0.string ?? "" }
            let others = Array(Set(owners.filter { !$0.isEmpty && $0 != instance }))
            let alive = try await client.pipeline(others.map { ["EXISTS", RedisArgument(layout.ownerKey($0))] })
            let live = Set(zip(others, alive).filter { ($0.1.integer ?? 0) > 0 }.map(\.0))
            var workflows: [StoredWorkflow] = []
            for (id, owner) in zip(ids, owners) where !live.contains(owner) {
                // This process's own (claimed earlier, not yet resumed), or claimed now from a dead owner.
                if owner != instance {
                    let claimed = try await client.command(
                        "EVAL", RedisArgument(Self.claimScript), "1", RedisArgument(layout.workflowKey(id)),
                        RedisArgument(owner), RedisArgument(instance))
                    guard claimed.integer == 1 else { continue }
                }
                let replies = try await client.pipeline([
                    ["HGETALL", RedisArgument(layout.workflowKey(id))],
                    ["HGETALL", RedisArgument(layout.tasksKey(id))],
                ])
                let fields = Self.fields(replies[0])
                guard let spec = fields[RedisWorkflowLayout.Field.spec] else {
                    _ = try await client.command("SREM", RedisArgument(layout.activeKey), RedisArgument(id))
                    continue
                }
                if let workflow = try? Self.workflow(id, spec: spec, fields: fields, tasks: Self.fields(replies[1])) {
                    workflows.append(workflow)
                }
            }
            return workflows.sorted { $0.accepted.createdUnixMs < $1.accepted.createdUnixMs }
        } catch {
            throw EngineError(.unavailable, "cannot read the active workflows from Redis: \(error.message)", cause: error)
        }
    }

    /// Stored workflows newest first after `cursor`, from `weft:wf:index`; ids whose hashes expired are dropped from
    /// the index on the way.
    func workflows(after cursor: StoredWorkflowCursor?, limit: Int) async throws
        -> (workflows: [StoredWorkflow], exhausted: Bool)
    {
        var expired: [String] = []
        let listing: (workflows: [StoredWorkflow], exhausted: Bool)
        do {
            listing = try await read(after: cursor, limit: limit, expired: &expired)
        } catch {
            throw EngineError(.unavailable, "cannot list workflows from Redis: \(error.message)", cause: error)
        }
        if !expired.isEmpty {
            _ = try? await client.command(["ZREM", RedisArgument(layout.indexKey)] + expired.map { RedisArgument($0) })
        }
        return listing
    }

    private func read(after cursor: StoredWorkflowCursor?, limit: Int, expired: inout [String]) async throws(RedisError)
        -> (workflows: [StoredWorkflow], exhausted: Bool)
    {
        // A fixed upper score keeps offsets stable while newer workflows are added meanwhile.
        let maximum = cursor.map { RedisArgument($0.createdUnixMs) } ?? "+inf"
        var offset = 0
        var found: [StoredWorkflow] = []
        while true {
            // A few more than needed: entries at the cursor's own time that it already passed are skipped.
            let want = limit - found.count + 16
            let reply = try await client.command(
                "ZREVRANGEBYSCORE", RedisArgument(layout.indexKey), maximum, "-inf", "WITHSCORES", "LIMIT",
                RedisArgument(offset), RedisArgument(want))
            let items = reply.array ?? []
            var candidates: [(id: String, created: UInt64)] = []
            var index = 0
            while index + 1 < items.count {
                if let id = items[index].string, let score = items[index + 1].string.flatMap({ UInt64($0) }) {
                    candidates.append((id, score))
                }
                index += 2
            }
            offset += items.count / 2
            let after = candidates.filter { candidate in
                guard let cursor else { return true }
                return candidate.created < cursor.createdUnixMs
                    || (candidate.created == cursor.createdUnixMs && candidate.id < cursor.workflowID)
            }
            var commands: [[RedisArgument]] = []
            for candidate in after {
                commands.append(["HGETALL", RedisArgument(layout.workflowKey(candidate.id))])
                commands.append(["HGETALL", RedisArgument(layout.tasksKey(candidate.id))])
            }
            let replies = try await client.pipeline(commands)
            for (position, candidate) in after.enumerated() {
                let fields = Self.fields(replies[2 * position])
                guard let spec = fields[RedisWorkflowLayout.Field.spec] else {
                    expired.append(candidate.id)
                    continue
                }
                guard let workflow = try? Self.stored(
                    candidate.id, spec: spec, fields: fields, tasks: Self.fields(replies[2 * position + 1]))
                else { continue }
                found.append(workflow)
                if found.count == limit { return (found, false) }
            }
            if items.count / 2 < want { return (found, true) }
        }
    }

    /// One workflow as stored, whoever owns it; nil when its hash is gone (unknown or expired).
    func workflow(_ id: String) async throws -> StoredWorkflow? {
        do {
            let replies = try await client.pipeline([
                ["HGETALL", RedisArgument(layout.workflowKey(id))],
                ["HGETALL", RedisArgument(layout.tasksKey(id))],
            ])
            let fields = Self.fields(replies[0])
            guard let spec = fields[RedisWorkflowLayout.Field.spec] else { return nil }
            return try Self.stored(id, spec: spec, fields: fields, tasks: Self.fields(replies[1]))
        } catch {
            throw EngineError(.unavailable, "cannot read workflow \"\(id)\" from Redis: \(error)", cause: error)
        }
    }

    /// A workflow with its stored status and end time, as GetWorkflow and listings show it.
    private static func stored(
        _ id: String, spec: [UInt8], fields: [String: [UInt8]], tasks: [String: [UInt8]]
    ) throws -> StoredWorkflow {
        var workflow = try Self.workflow(id, spec: spec, fields: fields, tasks: tasks)
        let text = { (name: String) in String(decoding: fields[name] ?? [], as: UTF8.self) }
        workflow.status = WorkflowStatus(rawValue: text(RedisWorkflowLayout.Field.status)) ?? .pending
        workflow.finishedUnixMs = UInt64(text(RedisWorkflowLayout.Field.finishedUnixMs)) ?? 0
        return workflow
    }

    private static func workflow(
        _ id: String, spec: [UInt8], fields: [String: [UInt8]], tasks: [String: [UInt8]]
    ) throws -> StoredWorkflow {
        typealias Field = RedisWorkflowLayout.Field
        func number(_ name: String) -> UInt64 { UInt64(String(decoding: fields[name] ?? [], as: UTF8.self)) ?? 0 }
        let request = try Weft_V1_SubmitWorkflowRequest(wireBytes: spec)
        let accepted = AcceptedWorkflow(
            spec: try WorkflowMapping.spec(from: request), createdUnixMs: number(Field.createdUnixMs))
        var states: [String: TaskState] = [:]
        for (taskID, bytes) in tasks {
            states[taskID] = WorkflowMapping.taskState(from: try Weft_V1_TaskState(wireBytes: bytes))
        }
        var expansions: [(sequence: UInt64, parent: String, tasks: [TaskSpec])] = []
        for (name, bytes) in fields where name.hasPrefix(Field.expansionPrefix) {
            let rest = name.dropFirst(Field.expansionPrefix.count)
            guard let colon = rest.firstIndex(of: ":"), let sequence = UInt64(rest[..<colon]) else { continue }
            let message = try Weft_V1_SubmitWorkflowRequest(wireBytes: bytes)
            let added = try message.tasks.enumerated().map { try WorkflowMapping.taskSpec(from: $1, position: $0) }
            expansions.append((sequence, String(rest[rest.index(after: colon)...]), added))
        }
        expansions.sort { $0.sequence < $1.sequence }
        return StoredWorkflow(
            workflowID: id, accepted: accepted, lastSequence: number(Field.lastSequence), tasks: states,
            expansions: expansions.map { ($0.parent, $0.tasks) })
    }

    /// A `HGETALL` reply as a dictionary.
    private static func fields(_ reply: RedisValue) -> [String: [UInt8]] {
        let items = reply.array ?? []
        var fields: [String: [UInt8]] = [:]
        var index = 0
        while index + 1 < items.count {
            if let name = items[index].string, let value = items[index + 1].bytes { fields[name] = value }
            index += 2
        }
        return fields
    }
}
