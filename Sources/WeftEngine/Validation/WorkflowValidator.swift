/// Validates a whole submission before anything of it runs, and builds its task graph.
///
/// Every problem is ``EngineError`` with code `.invalidArgument` and a message naming the offending task and
/// field, e.g. `task "b": depends_on names unknown task "x"` or `dependency cycle: a → b → c → a` (`a → b`: a
/// depends on b). The first problem found is reported, in this order: request id, description, requirements,
/// constraints, options, the task count, each task's own fields in submission order, every dependency, cycles.
public enum WorkflowValidator {
    /// Checks `spec` against `config.limits` and returns its graph with priorities.
    ///
    /// - Parameters:
    ///   - spec: The workflow as submitted. A `nil` option takes the engine's default; a present
    ///     `options.maxParallel` must be within `1…limits.maxParallel` (the proto layer maps an unset 0 to `nil`).
    ///   - config: Limits, the default executor (for tasks naming none) and the priority weights.
    ///   - isKnownExecutor: Whether an executor name (`sim`, `exec:NAME`, …) can run tasks.
    /// - Returns: The validated DAG: executors resolved, repeated dependencies dropped, priorities computed.
    /// - Throws: `EngineError(.invalidArgument, …)` for the first problem found.
    public static func validate(
        _ spec: WorkflowSpec,
        config: EngineConfig,
        isKnownExecutor: (String) -> Bool
    ) throws(EngineError) -> TaskGraph {
        if let problem = workflowProblem(spec, limits: config.limits)
            ?? optionsProblem(spec.options, limits: config.limits)
        {
            throw EngineError(.invalidArgument, problem)
        }
        return try TaskGraph(validating: spec.tasks, config: config, isKnownExecutor: isKnownExecutor)
    }

    /// Request id, description, requirements and constraints.
    static func workflowProblem(_ spec: WorkflowSpec, limits: EngineLimits) -> String? {
        if let problem = FieldRules.length(spec.requestID, field: "request_id", limit: limits.maxRequestIDLength) {
            return problem
        }
        if let problem = FieldRules.length(spec.description, field: "description", limit: limits.maxDescriptionLength) {
            return problem
        }
        if let problem = FieldRules.length(
            spec.requirements,
            field: "requirements",
            limit: limits.maxDescriptionLength
        ) {
            return problem
        }
        if spec.constraints.count > limits.maxConstraints {
            return "constraints: \(spec.constraints.count) entries, more than the limit of \(limits.maxConstraints)"
        }
        // Sorted so that the same submission always reports the same problem.
        for key in spec.constraints.keys.sorted() {
            if key.isEmpty { return "constraints: a key is empty" }
            let field = "constraints[\(String(key.prefix(32)).debugDescription)]"
            if let problem = FieldRules.length(key, field: "\(field) key", limit: limits.maxConstraintLength) {
                return problem
            }
            if let problem = FieldRules.length(
                spec.constraints[key] ?? "",
                field: field,
                limit: limits.maxConstraintLength
            ) {
                return problem
            }
        }
        return nil
    }

    /// Workflow options: parallelism, timeouts, retry policy, cache thresholds.
    static func optionsProblem(_ options: WorkflowOptions, limits: EngineLimits) -> String? {
        if let maxParallel = options.maxParallel, !(1...max(1, limits.maxParallel)).contains(maxParallel) {
            return "options.max_parallel: \(maxParallel) is not allowed (1…\(limits.maxParallel))"
        }
        if let problem = FieldRules.timeouts(options.timeouts, field: "options.timeouts") { return problem }
        if let policy = options.retryPolicy,
            let problem = FieldRules.retryPolicy(policy, field: "options.retry_policy")
        {
            return problem
        }
        let reuse = options.cache.reuseThreshold
        let similarity = options.cache.similarityThreshold
        if let problem = FieldRules.unitInterval(reuse, field: "options.cache.reuse_threshold")
            ?? FieldRules.unitInterval(similarity, field: "options.cache.similarity_threshold")
        {
            return problem
        }
        // A result similar enough to reuse as is must also be similar enough to adapt (0.95 ≥ 0.85 by default).
        if let reuse, let similarity, similarity > reuse {
            return "options.cache.similarity_threshold: \(similarity) is above options.cache.reuse_threshold (\(reuse))"
        }
        return nil
    }
}
