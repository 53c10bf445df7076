/// A validated workflow DAG: tasks by index (submission order, then META expansions in the order they were added),
/// their dependencies both ways and their priorities.
///
/// Built by ``WorkflowValidator/validate(_:config:isKnownExecutor:)``; grown only by
/// ``add(_:parent:config:isKnownExecutor:)``, which validates like a submission, so a graph is always acyclic and
/// within the limits. Everything the scheduler touches is an `Int` index into these arrays.
public struct TaskGraph: Sendable {
    /// The tasks, executor resolved (never empty) and `dependsOn` without repeats.
    public private(set) var tasks: [TaskSpec]
    /// Each task's priority (``PriorityWeights``): higher starts first, ties by lower index.
    ///
    /// Computed when the task joins the graph and never changed after, so that the plan returned on submission stays
    /// true: a META expansion scores its new tasks but does not re-score the tasks it depends on.
    public private(set) var priorities: [Int]
    /// `dependencies[i]`: the indices task `i` waits for, in `dependsOn` order.
    public private(set) var dependencies: [[Int]]
    /// `dependents[i]`: the indices that wait for task `i`, in index order.
    public private(set) var dependents: [[Int]]
    private var indexByID: [String: Int]

    /// The number of tasks.
    public var count: Int { tasks.count }

    /// The index of the task with this id.
    public func index(of id: String) -> Int? { indexByID[id] }

    /// A submission's graph: the task count, then ``TaskSetValidator``'s checks, then the priorities.
    init(validating specs: [TaskSpec], config: EngineConfig, isKnownExecutor: (String) -> Bool) throws(EngineError) {
        let limit = config.limits.maxTasks
        if specs.isEmpty { throw EngineError(.invalidArgument, "tasks: empty") }
        if specs.count > limit {
            throw EngineError(.invalidArgument, "tasks: \(specs.count) tasks, more than the limit of \(limit)")
        }
        let valid = try TaskSetValidator.validate(
            specs,
            firstIndex: 0,
            existing: [:],
            parent: nil,
            config: config,
            isKnownExecutor: isKnownExecutor
        )
        tasks = valid.tasks
        dependencies = valid.dependencies
        indexByID = valid.indexByID
        dependents = [[Int]](repeating: [], count: specs.count)
        priorities = []
        appendDependents(of: 0..<tasks.count)
        appendPriorities(of: 0..<tasks.count, weights: config.priority)
    }

    /// Adds a META task's expansion: new tasks validated like a submission, each also depending on `parent`.
    ///
    /// New ids must be unique in the whole graph; dependencies may name existing or new tasks; the graph with the new
    /// tasks must stay within `limits.maxTasks`. On error nothing is changed. An empty expansion adds nothing.
    ///
    /// - Parameters:
    ///   - specs: The tasks the META task's result carries.
    ///   - parent: The index of the META task (it has run; its priority is kept as it was).
    ///   - config: Limits, default executor and priority weights.
    ///   - isKnownExecutor: Whether an executor name can run tasks.
    /// - Returns: The indices of the new tasks.
    /// - Throws: `EngineError(.invalidArgument, "expansion of task \"m\": …")` naming the problem; also when `parent`
    ///   is not a META task.
    public mutating func add(
        _ specs: [TaskSpec],
        parent: Int,
        config: EngineConfig,
        isKnownExecutor: (String) -> Bool
    ) throws(EngineError) -> Range<Int> {
        precondition(tasks.indices.contains(parent), "no task \(parent) in the graph")
        let prefix = "expansion of \(TaskSetValidator.label(tasks[parent].id)): "
        let parentComplexity = tasks[parent].complexity
        guard parentComplexity == .meta else {
            throw EngineError(
                .invalidArgument,
                prefix + "only META tasks may add tasks (its complexity is \(parentComplexity.rawValue))"
            )
        }
        if specs.isEmpty { return count..<count }
        let limit = config.limits.maxTasks
        if count + specs.count > limit {
            throw EngineError(
                .invalidArgument,
                prefix + "tasks: \(specs.count) new tasks make \(count + specs.count), more than the limit of \(limit)"
            )
        }
        let valid: TaskSetValidator.Output
        do {
            valid = try TaskSetValidator.validate(
                specs,
                firstIndex: count,
                existing: indexByID,
                parent: (parent, tasks[parent].id),
                config: config,
                isKnownExecutor: isKnownExecutor
            )
        } catch {
            throw EngineError(error.code, prefix + error.message)
        }
        let added = count..<(count + specs.count)
        tasks += valid.tasks
        dependencies += valid.dependencies
        dependents += [[Int]](repeating: [], count: specs.count)
        indexByID.merge(valid.indexByID) { _, new in new }
        appendDependents(of: added)
        appendPriorities(of: added, weights: config.priority)
        return added
    }

    /// Records `range`'s tasks as dependents of their dependencies (index order, since ranges are added in order).
    private mutating func appendDependents(of range: Range<Int>) {
        for task in range {
            for dependency in dependencies[task] { dependents[dependency].append(task) }
        }
    }

    /// Scores `range`'s tasks once their dependents are recorded (existing tasks never depend on an expansion's).
    private mutating func appendPriorities(of range: Range<Int>, weights: PriorityWeights) {
        priorities.reserveCapacity(range.upperBound)
        for task in range {
            let spec = tasks[task]
            priorities.append(
                weights.priority(complexity: spec.complexity, type: spec.type, dependents: dependents[task].count)
            )
        }
    }
}
