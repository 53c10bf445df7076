import Testing
import WeftEngine

/// One refused submission and the exact message it must get.
struct RefusedSubmission: Sendable, CustomTestStringConvertible {
    var name: String
    var spec: WorkflowSpec
    var message: String
    var limits = EngineLimits()

    var testDescription: String { name }
}

private func task(
    _ id: String,
    _ dependsOn: [String] = [],
    executor: String = "",
    timeouts: ActivityTimeouts = ActivityTimeouts(),
    retry: RetryPolicy? = nil
) -> TaskSpec {
    TaskSpec(id: id, dependsOn: dependsOn, executor: executor, timeouts: timeouts, retryPolicy: retry)
}

private func workflow(_ tasks: TaskSpec..., options: WorkflowOptions = WorkflowOptions()) -> WorkflowSpec {
    WorkflowSpec(tasks: tasks, options: options)
}

private let knownExecutors: Set<String> = ["sim", "exec:build"]

private func validate(_ spec: WorkflowSpec, limits: EngineLimits = EngineLimits()) throws(EngineError) -> TaskGraph {
    var config = EngineConfig()
    config.limits = limits
    return try WorkflowValidator.validate(spec, config: config, isKnownExecutor: knownExecutors.contains)
}

private let refusals: [RefusedSubmission] = {
    var cases: [RefusedSubmission] = [
        RefusedSubmission(name: "no tasks", spec: WorkflowSpec(tasks: []), message: "tasks: empty"),
        RefusedSubmission(name: "empty id", spec: workflow(task("a"), task("")), message: "task #1: id is empty"),
        RefusedSubmission(
            name: "id too long",
            spec: workflow(task(String(repeating: "a", count: 200))),
            message: #"task #0 ("aaaaaaaaaaaaaaaa"…): id is 200 bytes, more than the limit of 128"#
        ),
        RefusedSubmission(
            name: "id with a space",
            spec: workflow(task("a b")),
            message: #"task #0: id "a b" contains U+0020; ids may contain only printable non-space characters"#
        ),
        RefusedSubmission(
            name: "id with NUL",
            spec: workflow(task("ok"), task("a\u{0}b")),
            message: #"task #1: id "a\0b" contains U+0000; ids may contain only printable non-space characters"#
        ),
        RefusedSubmission(
            name: "id with a control character",
            spec: workflow(task("a\u{7}")),
            message: #"task #0: id "a\u{07}" contains U+0007; ids may contain only printable non-space characters"#
        ),
        RefusedSubmission(
            name: "id with a no-break space",
            spec: workflow(task("a\u{A0}b")),
            message: "task #0: id \"a\u{A0}b\" contains U+00A0; ids may contain only printable non-space characters"
        ),
        RefusedSubmission(
            name: "id with a zero-width space",
            spec: workflow(task("a\u{200B}")),
            message: "task #0: id \"a\u{200B}\" contains U+200B; ids may contain only printable non-space characters"
        ),
        RefusedSubmission(
            name: "duplicate id",
            spec: workflow(task("a"), task("b"), task("a")),
            message: #"task "a": duplicate id (also task #0)"#
        ),
        RefusedSubmission(
            name: "unknown dependency",
            spec: workflow(task("a"), task("b", ["a", "x"])),
            message: #"task "b": depends_on names unknown task "x""#
        ),
        RefusedSubmission(
            name: "self-dependency",
            spec: workflow(task("a", ["a"])),
            message: #"task "a": depends on itself"#
        ),
        RefusedSubmission(
            name: "unknown executor",
            spec: workflow(task("a", executor: "foo")),
            message: #"task "a": unknown executor "foo""#
        ),
        RefusedSubmission(
            name: "zero heartbeat timeout",
            spec: workflow(task("a", timeouts: ActivityTimeouts(heartbeat: .zero))),
            message: #"task "a": timeouts.heartbeat must be positive"#
        ),
        RefusedSubmission(
            name: "negative start-to-close timeout",
            spec: workflow(task("a", timeouts: ActivityTimeouts(startToClose: .seconds(-1)))),
            message: #"task "a": timeouts.start_to_close must be positive"#
        ),
        RefusedSubmission(
            name: "negative schedule-to-start timeout",
            spec: workflow(task("a", timeouts: ActivityTimeouts(scheduleToStart: .milliseconds(-5)))),
            message: #"task "a": timeouts.schedule_to_start must be positive"#
        ),
        RefusedSubmission(
            name: "zero max attempts",
            spec: workflow(task("a", retry: RetryPolicy(maxAttempts: 0))),
            message: #"task "a": retry_policy.max_attempts: 0 is less than 1"#
        ),
        RefusedSubmission(
            name: "backoff below 1",
            spec: workflow(task("a", retry: RetryPolicy(backoffCoefficient: 0.5))),
            message: #"task "a": retry_policy.backoff_coefficient: 0.5 is less than 1"#
        ),
        RefusedSubmission(
            name: "infinite backoff",
            spec: workflow(task("a", retry: RetryPolicy(backoffCoefficient: .infinity))),
            message: #"task "a": retry_policy.backoff_coefficient: inf is not a finite number"#
        ),
        RefusedSubmission(
            name: "negative initial interval",
            spec: workflow(task("a", retry: RetryPolicy(initialInterval: .seconds(-1)))),
            message: #"task "a": retry_policy.initial_interval must not be negative"#
        ),
        RefusedSubmission(
            name: "negative max interval",
            spec: workflow(task("a", retry: RetryPolicy(maxInterval: .seconds(-1)))),
            message: #"task "a": retry_policy.max_interval must not be negative"#
        ),
        RefusedSubmission(
            name: "max interval below initial interval",
            spec: workflow(
                task("a", retry: RetryPolicy(initialInterval: .seconds(2), maxInterval: .milliseconds(500)))
            ),
            message:
                #"task "a": retry_policy.max_interval (500 ms) is less than retry_policy.initial_interval (2000 ms)"#
        ),
        RefusedSubmission(
            name: "empty non-retryable type",
            spec: workflow(task("a", retry: RetryPolicy(nonRetryableErrorTypes: [""]))),
            message: #"task "a": retry_policy.non_retryable_error_types contains an empty type"#
        ),
        RefusedSubmission(
            name: "max_parallel 0",
            spec: workflow(task("a"), options: WorkflowOptions(maxParallel: 0)),
            message: "options.max_parallel: 0 is not allowed (1…1000)"
        ),
        RefusedSubmission(
            name: "negative max_parallel",
            spec: workflow(task("a"), options: WorkflowOptions(maxParallel: -3)),
            message: "options.max_parallel: -3 is not allowed (1…1000)"
        ),
        RefusedSubmission(
            name: "max_parallel above the limit",
            spec: workflow(task("a"), options: WorkflowOptions(maxParallel: 1001)),
            message: "options.max_parallel: 1001 is not allowed (1…1000)"
        ),
        RefusedSubmission(
            name: "reuse threshold above 1",
            spec: workflow(task("a"), options: WorkflowOptions(cache: CacheOptions(reuseThreshold: 1.5))),
            message: "options.cache.reuse_threshold: 1.5 is outside [0, 1]"
        ),
        RefusedSubmission(
            name: "negative similarity threshold",
            spec: workflow(task("a"), options: WorkflowOptions(cache: CacheOptions(similarityThreshold: -0.1))),
            message: "options.cache.similarity_threshold: -0.1 is outside [0, 1]"
        ),
        RefusedSubmission(
            name: "NaN threshold",
            spec: workflow(task("a"), options: WorkflowOptions(cache: CacheOptions(reuseThreshold: .nan))),
            message: "options.cache.reuse_threshold: nan is outside [0, 1]"
        ),
        RefusedSubmission(
            name: "similarity threshold above reuse threshold",
            spec: workflow(
                task("a"),
                options: WorkflowOptions(cache: CacheOptions(reuseThreshold: 0.8, similarityThreshold: 0.9))
            ),
            message: "options.cache.similarity_threshold: 0.9 is above options.cache.reuse_threshold (0.8)"
        ),
        RefusedSubmission(
            name: "workflow timeout zero",
            spec: workflow(task("a"), options: WorkflowOptions(timeouts: ActivityTimeouts(scheduleToStart: .zero))),
            message: "options.timeouts.schedule_to_start must be positive"
        ),
        RefusedSubmission(
            name: "workflow retry policy",
            spec: workflow(task("a"), options: WorkflowOptions(retryPolicy: RetryPolicy(maxAttempts: -1))),
            message: "options.retry_policy.max_attempts: -1 is less than 1"
        ),
    ]

    var small = EngineLimits()
    small.maxTasks = 3
    small.maxDescriptionLength = 10
    small.maxTypeLength = 4
    small.maxInputLength = 8
    small.maxDependencies = 2
    small.maxConstraints = 1
    small.maxConstraintLength = 5
    small.maxRequestIDLength = 6
    let long = String(repeating: "x", count: 11)
    cases += [
        RefusedSubmission(
            name: "too many tasks",
            spec: workflow(task("a"), task("b"), task("c"), task("d")),
            message: "tasks: 4 tasks, more than the limit of 3",
            limits: small
        ),
        RefusedSubmission(
            name: "task description too long",
            spec: workflow(TaskSpec(id: "a", description: long)),
            message: #"task "a": description is 11 bytes, more than the limit of 10"#,
            limits: small
        ),
        RefusedSubmission(
            name: "task type too long",
            spec: workflow(TaskSpec(id: "a", type: "database")),
            message: #"task "a": type is 8 bytes, more than the limit of 4"#,
            limits: small
        ),
        RefusedSubmission(
            name: "task input too long",
            spec: workflow(TaskSpec(id: "a", input: #"{"ms": 100}"#)),
            message: #"task "a": input is 11 bytes, more than the limit of 8"#,
            limits: small
        ),
        RefusedSubmission(
            name: "too many dependencies",
            spec: workflow(task("a"), task("b"), task("c", ["a", "b", "a"])),
            message: #"task "c": depends_on has 3 entries, more than the limit of 2"#,
            limits: small
        ),
        RefusedSubmission(
            name: "workflow description too long",
            spec: WorkflowSpec(description: long, tasks: [task("a")]),
            message: "description is 11 bytes, more than the limit of 10",
            limits: small
        ),
        RefusedSubmission(
            name: "requirements too long",
            spec: WorkflowSpec(requirements: long, tasks: [task("a")]),
            message: "requirements is 11 bytes, more than the limit of 10",
            limits: small
        ),
        RefusedSubmission(
            name: "request id too long",
            spec: WorkflowSpec(tasks: [task("a")], requestID: "request-1"),
            message: "request_id is 9 bytes, more than the limit of 6",
            limits: small
        ),
        RefusedSubmission(
            name: "too many constraints",
            spec: WorkflowSpec(constraints: ["language": "go", "framework": "gin"], tasks: [task("a")]),
            message: "constraints: 2 entries, more than the limit of 1",
            limits: small
        ),
        RefusedSubmission(
            name: "constraint value too long",
            spec: WorkflowSpec(constraints: ["lang": "python"], tasks: [task("a")]),
            message: #"constraints["lang"] is 6 bytes, more than the limit of 5"#,
            limits: small
        ),
        RefusedSubmission(
            name: "constraint key too long",
            spec: WorkflowSpec(constraints: ["language": "go"], tasks: [task("a")]),
            message: #"constraints["language"] key is 8 bytes, more than the limit of 5"#,
            limits: small
        ),
        RefusedSubmission(
            name: "empty constraint key",
            spec: WorkflowSpec(constraints: ["": "go"], tasks: [task("a")]),
            message: "constraints: a key is empty",
            limits: small
        ),
    ]
    return cases
}()

@Suite("Workflow validation")
struct ValidationTests {
    @Test("Each kind of bad submission is INVALID_ARGUMENT naming the task and field", arguments: refusals)
    func refused(_ refusal: RefusedSubmission) {
        do {
            let graph = try validate(refusal.spec, limits: refusal.limits)
            Issue.record("accepted a submission with \(graph.count) tasks; expected: \(refusal.message)")
        } catch {
            #expect(error.code == .invalidArgument)
            #expect(error.message == refusal.message)
        }
    }

    @Test("A cycle is reported with its path, following depends_on")
    func cyclePath() {
        let spec = workflow(task("a", ["b"]), task("b", ["c"]), task("c", ["a"]))
        #expect(message(of: spec) == "dependency cycle: a → b → c → a")
    }

    @Test("The cycle starts at the earliest task on a cycle, not at an earlier task downstream of it")
    func cycleStart() {
        // d depends on the cycle but is not on it; x is on no cycle at all.
        let spec = workflow(task("d", ["b"]), task("x"), task("b", ["c"]), task("c", ["b"]))
        #expect(message(of: spec) == "dependency cycle: b → c → b")
        let two = workflow(task("p", ["q"]), task("q", ["p"]), task("y", ["z"]), task("z", ["y"]))
        #expect(message(of: two) == "dependency cycle: p → q → p")
    }

    @Test("The cycle path is found by depth-first search in depends_on order")
    func cycleDepthFirst() {
        // From a, the search first tries b → d (a dead end), then c, which leads back to a.
        let spec = workflow(task("a", ["b", "c"]), task("b", ["d"]), task("c", ["e"]), task("d"), task("e", ["a"]))
        #expect(message(of: spec) == "dependency cycle: a → c → e → a")
    }

    @Test("A long chain and a cycle through a thousand tasks are handled without recursion")
    func longCycle() {
        var tasks = (0..<5000).map { task("t\($0)", $0 == 0 ? [] : ["t\($0 - 1)"]) }
        #expect(message(of: WorkflowSpec(tasks: tasks)) == nil)
        tasks[0].dependsOn = ["t999"]
        let expected =
            "dependency cycle: t0 → " + (1...999).reversed().map { "t\($0)" }.joined(separator: " → ")
            + " → t0"
        #expect(message(of: WorkflowSpec(tasks: tasks)) == expected)
    }

    @Test("The first problem in submission order is the one reported")
    func firstProblemWins() {
        let spec = workflow(task("a", ["nope"]), task("b", executor: "foo"), task("b"))
        // Each task's own fields are checked before any dependency: b's executor comes first.
        #expect(message(of: spec) == #"task "b": unknown executor "foo""#)
    }

    @Test("A valid submission resolves executors and drops repeated dependencies")
    func validSubmission() throws {
        let spec = workflow(task("a"), task("b", ["a", "a"], executor: "exec:build"), task("c", ["b", "a", "b"]))
        let graph = try validate(spec)
        #expect(graph.count == 3)
        #expect(graph.tasks.map(\.executor) == ["sim", "exec:build", "sim"])
        #expect(graph.tasks[1].dependsOn == ["a"])
        #expect(graph.tasks[2].dependsOn == ["b", "a"])
        #expect(graph.dependencies == [[], [0], [1, 0]])
        #expect(graph.dependents == [[1, 2], [2], []])
        #expect(graph.index(of: "c") == 2)
        #expect(graph.index(of: "zzz") == nil)
    }

    @Test("Ids may use any printable characters, and dependencies may name later tasks")
    func unicodeAndForwardReferences() throws {
        let spec = workflow(task("api/v1:users", ["données-é"]), task("données-é", ["🚀"]), task("🚀"))
        let graph = try validate(spec)
        #expect(graph.dependencies == [[1], [2], []])
    }

    @Test("Limits at their exact values are accepted")
    func limitsInclusive() throws {
        var limits = EngineLimits()
        limits.maxTasks = 2
        limits.maxTaskIDLength = 3
        let spec = WorkflowSpec(tasks: [task("abc"), task("é")], options: WorkflowOptions(maxParallel: 1000))
        let graph = try validate(spec, limits: limits)
        #expect(graph.count == 2)
        let thresholds = WorkflowOptions(cache: CacheOptions(reuseThreshold: 0.9, similarityThreshold: 0.9))
        _ = try validate(WorkflowSpec(tasks: [task("a")], options: thresholds))
    }

    private func message(of spec: WorkflowSpec) -> String? {
        do {
            _ = try validate(spec)
            return nil
        } catch {
            return error.message
        }
    }
}
