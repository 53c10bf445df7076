/// Validates tasks joining a graph: all of a submission's, or a META task's expansion. Shared so that an expansion is
/// held to exactly the rules of a submission.
///
/// Three passes, the first problem wins: each task's own fields in order (id, duplicate id, type, description, input,
/// number of dependencies, executor, timeouts, retry policy); then every dependency name; then cycles.
enum TaskSetValidator {
    /// Validated tasks, ready to append to a graph.
    struct Output {
        /// The tasks with their executor resolved and `dependsOn` without repeats (plus the parent for an expansion).
        var tasks: [TaskSpec]
        /// Graph indices each task depends on, in `dependsOn` order.
        var dependencies: [[Int]]
        /// Graph index of each new id.
        var indexByID: [String: Int]
    }

    /// Validates `specs` as graph tasks `firstIndex…`; `existing` are the ids already in the graph (by index)
    /// and `parent` a task every new task depends on (a META expansion's).
    static func validate(
        _ specs: [TaskSpec],
        firstIndex: Int,
        existing: [String: Int],
        parent: (index: Int, id: String)?,
        config: EngineConfig,
        isKnownExecutor: (String) -> Bool
    ) throws(EngineError) -> Output {
        let limits = config.limits
        var tasks = specs
        var indexByID: [String: Int] = [:]
        indexByID.reserveCapacity(specs.count)

        for position in tasks.indices {
            let id = tasks[position].id
            if let problem = FieldRules.taskID(id, limit: limits.maxTaskIDLength) {
                throw invalid("\(positionLabel(position, id: id, limits: limits)): \(problem)")
            }
            if existing[id] != nil {
                throw invalid("\(label(id)): duplicate id (a task of the workflow already has it)")
            }
            if let earlier = indexByID.updateValue(firstIndex + position, forKey: id) {
                throw invalid("\(label(id)): duplicate id (also task #\(earlier - firstIndex))")
            }
            if let problem = fieldProblem(&tasks[position], config: config, isKnownExecutor: isKnownExecutor) {
                throw invalid("\(label(id)): \(problem)")
            }
        }

        var dependencies = [[Int]](repeating: [], count: tasks.count)
        // mark[j] == position: graph task j is already a dependency of the task at `position` (repeats are dropped).
        var mark = [Int](repeating: -1, count: firstIndex + tasks.count)
        for position in tasks.indices {
            let index = firstIndex + position
            var resolved: [Int] = []
            resolved.reserveCapacity(tasks[position].dependsOn.count + (parent == nil ? 0 : 1))
            var repeated = false
            for name in tasks[position].dependsOn {
                guard let dependency = indexByID[name] ?? existing[name] else {
                    throw invalid(
                        "\(label(tasks[position].id)): depends_on names unknown task \(name.debugDescription)"
                    )
                }
                if dependency == index { throw invalid("\(label(tasks[position].id)): depends on itself") }
                if mark[dependency] == position {
                    repeated = true
                } else {
                    mark[dependency] = position
                    resolved.append(dependency)
                }
            }
            if repeated {
                var seen = Set<String>()
                tasks[position].dependsOn.removeAll { !seen.insert($0).inserted }
            }
            if let parent, mark[parent.index] != position {
                resolved.append(parent.index)
                tasks[position].dependsOn.append(parent.id)
            }
            dependencies[position] = resolved
        }

        // Only new tasks can close a cycle: existing tasks never depend on new ones.
        let local =
            firstIndex == 0
            ? dependencies : dependencies.map { $0.compactMap { $0 >= firstIndex ? $0 - firstIndex : nil } }
        if let cycle = CycleFinder.firstCycle(local) {
            throw invalid("dependency cycle: " + cycle.map { tasks[$0].id }.joined(separator: " → "))
        }
        return Output(tasks: tasks, dependencies: dependencies, indexByID: indexByID)
    }

    /// The problem with a task's own fields, if any; resolves an empty executor to the default.
    private static func fieldProblem(
        _ task: inout TaskSpec,
        config: EngineConfig,
        isKnownExecutor: (String) -> Bool
    ) -> String? {
        let limits = config.limits
        if let problem = FieldRules.length(task.type, field: "type", limit: limits.maxTypeLength) { return problem }
        if let problem = FieldRules.length(task.description, field: "description", limit: limits.maxDescriptionLength) {
            return problem
        }
        if let problem = FieldRules.length(task.input, field: "input", limit: limits.maxInputLength) { return problem }
        if task.dependsOn.count > limits.maxDependencies {
            return "depends_on has \(task.dependsOn.count) entries, more than the limit of \(limits.maxDependencies)"
        }
        if task.executor.isEmpty { task.executor = config.defaultExecutor }
        if !isKnownExecutor(task.executor) { return "unknown executor \(task.executor.debugDescription)" }
        if let problem = FieldRules.timeouts(task.timeouts, field: "timeouts") { return problem }
        if let policy = task.retryPolicy, let problem = FieldRules.retryPolicy(policy, field: "retry_policy") {
            return problem
        }
        return nil
    }

    /// `task "a"`.
    static func label(_ id: String) -> String { "task \(id.debugDescription)" }

    /// `task #3`, with the start of the id when there is one to show (an id that is too long).
    private static func positionLabel(_ position: Int, id: String, limits: EngineLimits) -> String {
        guard id.utf8.count > limits.maxTaskIDLength else { return "task #\(position)" }
        return "task #\(position) (\(String(id.prefix(16)).debugDescription)…)"
    }

    static func invalid(_ message: String) -> EngineError { EngineError(.invalidArgument, message) }
}
