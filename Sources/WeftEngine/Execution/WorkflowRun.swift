/// Runs one workflow: a single loop owns the scheduler and turns activity reports into events, in order.
///
/// Activities run as child tasks of the loop's task group and report back through one stream, so the
/// scheduler, the event order and the snapshot are only ever changed by the loop: no locks around scheduling,
/// and sequence numbers follow the order in which things happened.
final class WorkflowRun: Sendable {
    enum Message: Sendable {
        case report(task: Int, ActivityRunner.Report)
        case finished(task: Int, ActivityRunner.Outcome, cache: CacheUse)
        case cancel(reason: String)
        /// The engine is stopping: with a durable store the workflow is left to resume after the restart (no
        /// terminal event); otherwise it is cancelled with `reason`.
        case shutdown(reason: String)
    }

    /// What a resumed workflow brings from its store: tasks that ended before the restart, and the attempt each
    /// interrupted task continues from.
    struct Restored: Sendable {
        var succeeded: Set<Int> = []
        var failed: Set<Int> = []
        /// The attempt number of the next attempt of a task that was running (stored attempt + 1).
        var nextAttempt: [Int: Int] = [:]
        var results: [Int: TaskResult] = [:]
        var failedTasks: [String] = []
        var taskTime: Duration = .zero
    }

    /// What the result cache did for one task, and the time it saved.
    struct CacheUse: Sendable {
        var outcome: CacheOutcome = .bypassed
        var saved: Duration = .zero
    }

    struct Environment: Sendable {
        let config: EngineConfig
        let executors: ExecutorRegistry
        let eventLog: any EventLog
        let clock: EngineClock
        let cache: (any ResultCache)?
        let observer: any EngineObserver
        /// The event log is durable: workflows interrupted by a shutdown resume after the restart.
        let resumable: Bool
    }

    let record: WorkflowRecord
    private let graph: TaskGraph
    private let restored: Restored
    private let messages: AsyncStream<Message>
    private let inbox: AsyncStream<Message>.Continuation

    init(record: WorkflowRecord, graph: TaskGraph, restored: Restored = Restored()) {
        self.record = record
        self.graph = graph
        self.restored = restored
        (messages, inbox) = AsyncStream<Message>.makeStream()
    }

    var workflowID: String { record.workflowID }

    /// Asks the loop to cancel the workflow; returns at once.
    func cancel(reason: String) {
        inbox.yield(.cancel(reason: reason))
    }

    /// Asks the loop to stop because the engine is stopping; returns at once.
    func shutdown(reason: String) {
        inbox.yield(.shutdown(reason: reason))
    }

    /// Runs the workflow to its end; returns once every activity has stopped and the terminal event is appended.
    func execute(_ environment: Environment) async {
        var loop = Loop(run: self, environment: environment, graph: graph)
        await loop.run(messages: messages, inbox: inbox)
        inbox.finish()
    }

    /// The loop's state; lives only inside ``execute(_:)``.
    private struct Loop {
        let run: WorkflowRun
        let environment: Environment
        var scheduler: Scheduler
        let options: WorkflowOptions
        let streamResults: Bool
        var started: Duration
        var results: [Int: TaskResult] = [:]
        var failedTasks: [String] = []
        var cancelReason: String?
        var failFastError: String?
        /// Set when the engine stopped and the workflow is left for a restart to resume.
        var suspended = false
        var taskTime: Duration = .zero
        /// The ready-queue length last reported to the observer.
        var reportedReady = 0

        init(run: WorkflowRun, environment: Environment, graph: TaskGraph) {
            self.run = run
            self.environment = environment
            options = run.record.spec.options
            let config = environment.config
            let restored = run.restored
            scheduler = Scheduler(
                graph: graph, mode: options.mode ?? config.defaultMode,
                maxParallel: options.maxParallel ?? config.maxParallel, succeeded: restored.succeeded,
                failed: restored.failed)
            streamResults = options.streamResults ?? config.streamResults
            started = environment.clock.now()
            results = restored.results
            failedTasks = restored.failedTasks
            taskTime = restored.taskTime
        }

        var record: WorkflowRecord { run.record }

        mutating func run(messages: AsyncStream<Message>, inbox: AsyncStream<Message>.Continuation) async {
            defer { reportReady(ending: true) }
            started = environment.clock.now()
            record.update { $0.status = .running }
            await withTaskGroup(of: Void.self) { group in
                await apply(scheduler.start(), group: &group, inbox: inbox)
                reportReady()
                if scheduler.isFinished {
                    return
                }
                for await message in messages {
                    switch message {
                    case .report(let task, let report):
                        await handle(report, task: task)
                    case .finished(let task, let outcome, let cache):
                        await finished(task, outcome, cache: cache, group: &group, inbox: inbox)
                    case .cancel(let reason):
                        guard cancelReason == nil, failFastError == nil else { break }
                        cancelReason = reason
                        group.cancelAll()
                        await cancelPending()
                    case .shutdown(let reason):
                        guard cancelReason == nil, failFastError == nil else { break }
                        if environment.resumable {
                            // Stop here: the store keeps the workflow active and the next start resumes it.
                            suspended = true
                            group.cancelAll()
                            return
                        }
                        cancelReason = reason
                        group.cancelAll()
                        await cancelPending()
                    }
                    reportReady()
                    if scheduler.isFinished { break }
                }
            }
            if suspended || (environment.resumable && !scheduler.isFinished && cancelReason == nil
                && failFastError == nil)
            {
                // Left active in the durable store; activities were cancelled with the group.
                return
            }
            if !scheduler.isFinished && cancelReason == nil && failFastError == nil {
                // The loop was torn down (the engine's task was cancelled) before the workflow ended.
                cancelReason = "the workflow was interrupted: the server is shutting down"
            }
            if !scheduler.isFinished {
                await cancelPending()
                let now = environment.clock.unixMilliseconds()
                let swept = record.update { state in
                    var swept: [String] = []
                    for index in state.tasks.indices where state.tasks[index].status == .running
                        || state.tasks[index].status == .retrying
                    {
                        swept.append(state.tasks[index].taskID)
                        state.tasks[index].status = .cancelled
                        state.tasks[index].finishedUnixMs = now
                        state.completedCount += 1
                    }
                    return swept
                }
                for taskID in swept { taskFinished(taskID, .cancelled) }
            }
            await finish()
        }

        /// Tells the observer how the ready queue changed (to zero once the workflow ends or stops here).
        private mutating func reportReady(ending: Bool = false) {
            let ready = ending ? 0 : scheduler.readyCount
            guard ready != reportedReady else { return }
            environment.observer.readyTasksChanged(workflowID: record.workflowID, by: ready - reportedReady)
            reportedReady = ready
        }

        // MARK: Scheduler events

        private mutating func apply(
            _ events: [SchedulerEvent], group: inout TaskGroup<Void>, inbox: AsyncStream<Message>.Continuation
        ) async {
            for event in events {
                switch event {
                case .batchStarted(let index, let tasks):
                    await append(.batchStarted(index: index, taskIDs: tasks.map { scheduler.graph.tasks[$0].id }))
                case .start(let task):
                    launch(task, group: &group, inbox: inbox)
                case .batchCompleted(let index, let tasks):
                    if environment.config.streamBatchResults {
                        let batch = tasks.compactMap { results[$0] }.map(streamed)
                        await append(.batchCompleted(index: index, results: batch))
                    }
                case .skipped(let task, let because):
                    let reason = "dependency \"\(scheduler.graph.tasks[because].id)\" failed"
                    record.update { state in
                        state.tasks[task].status = .skipped
                        state.tasks[task].error = reason
                        state.completedCount += 1
                    }
                    taskFinished(scheduler.graph.tasks[task].id, .skipped)
                    await append(.taskSkipped(taskID: scheduler.graph.tasks[task].id, reason: reason))
                }
            }
        }

        private mutating func launch(_ index: Int, group: inout TaskGroup<Void>, inbox: AsyncStream<Message>.Continuation) {
            let task = scheduler.graph.tasks[index]
            let config = environment.config
            record.update { state in
                state.tasks[index].status = .running
                state.runningCount += 1
            }
            guard let executor = environment.executors.executor(for: task.executor) else {
                // Validation only admits known executors; a registry change in between is a bug worth surfacing.
                inbox.yield(.finished(task: index, .failed(
                    ActivityFailure("executor \"\(task.executor)\" is not configured", type: "UnknownExecutor",
                                    retryable: false), attempt: 1), cache: CacheUse()))
                return
            }
            let longTask = task.complexity.isLong
            let startToClose = task.timeouts.startToClose ?? options.timeouts.startToClose
                ?? (longTask ? config.longActivityTimeout : config.activityTimeout)
            let heartbeat = task.timeouts.heartbeat ?? options.timeouts.heartbeat ?? config.heartbeatTimeout
            let policy = task.retryPolicy ?? options.retryPolicy
            let fallback = options.retryPolicy
            let retry = ActivityRunner.Retry(
                maxAttempts: policy?.maxAttempts ?? fallback?.maxAttempts ?? config.maxAttempts,
                initialInterval: policy?.initialInterval ?? fallback?.initialInterval ?? config.initialRetryInterval,
                backoffCoefficient: policy?.backoffCoefficient ?? fallback?.backoffCoefficient ?? config.backoffCoefficient,
                maxInterval: policy?.maxInterval ?? fallback?.maxInterval ?? config.maxRetryInterval,
                nonRetryable: (policy?.nonRetryableErrorTypes ?? []).union(fallback?.nonRetryableErrorTypes ?? []))
            let runner = ActivityRunner(
                clock: environment.clock, executor: executor, retry: retry,
                heartbeatEventInterval: config.heartbeatEventInterval)
            // A queue's schedule-to-start timeout: the task's own, else the workflow's (else the server's).
            var attemptTask = task
            attemptTask.timeouts.scheduleToStart = task.timeouts.scheduleToStart ?? options.timeouts.scheduleToStart
            let activity = Activity(
                workflowID: record.workflowID, task: attemptTask, attempt: run.restored.nextAttempt[index] ?? 1,
                constraints: record.spec.constraints,
                startToCloseTimeout: startToClose, heartbeatTimeout: heartbeat)
            // META tasks are never cached: their value is the expansion, which a cached text cannot replay.
            let cache = options.cache.disabled || !task.cacheable || task.complexity == .meta ? nil : environment.cache
            let constraints = record.spec.constraints
            let thresholds = (options.cache.reuseThreshold, options.cache.similarityThreshold)
            let source = "\(record.workflowID)/\(task.id)"
            group.addTask {
                var activity = activity
                var use = CacheUse()
                var lookup: ResultCacheLookup?
                if let cache {
                    let found = await cache.lookup(
                        task: task, constraints: constraints, reuseThreshold: thresholds.0,
                        similarityThreshold: thresholds.1)
                    lookup = found
                    switch found.decision {
                    case .reuse(let output, let similarity, let source, let original):
                        // Cancelled while the cache answered (cancel, FAIL_FAST, shutdown): the task ends cancelled,
                        // as an attempt's late result is discarded by the runner.
                        if Task.isCancelled {
                            inbox.yield(.finished(task: index, .cancelled(attempt: 0), cache: CacheUse()))
                            return
                        }
                        // Complete without running: the cached result is the task's result.
                        let reused = CacheUse(outcome: .reused(similarity: similarity, source: source), saved: original)
                        inbox.yield(.finished(
                            task: index, .succeeded(ActivityOutput(output: output), attempt: 0, duration: .zero),
                            cache: reused))
                        return
                    case .adapt(let reference, let similarity, let source, let original):
                        activity.reference = reference
                        use = CacheUse(outcome: .adapted(similarity: similarity, source: source), saved: original)
                    case .miss:
                        use.outcome = .miss
                    }
                }
                let outcome = await runner.run(activity) { report in inbox.yield(.report(task: index, report)) }
                if case .succeeded(let output, _, let duration) = outcome {
                    if let cache, let lookup {
                        // Only successful results are stored.
                        await cache.store(output.output, for: lookup, source: source, duration: duration)
                    }
                    use.saved = use.saved > duration ? use.saved - duration : .zero
                } else {
                    use.saved = .zero
                }
                inbox.yield(.finished(task: index, outcome, cache: use))
            }
        }

        // MARK: Activity reports

        private mutating func handle(_ report: ActivityRunner.Report, task index: Int) async {
            let taskID = scheduler.graph.tasks[index].id
            switch report {
            case .attemptStarted(let attempt):
                let now = environment.clock.unixMilliseconds()
                record.update { state in
                    state.tasks[index].status = .running
                    state.tasks[index].attempt = attempt
                    if attempt == 1 { state.tasks[index].startedUnixMs = now }
                }
                environment.observer.attemptStarted(workflowID: record.workflowID, taskID: taskID, attempt: attempt)
                await append(.taskStarted(taskID: taskID, attempt: attempt, executor: scheduler.graph.tasks[index].executor))
            case .heartbeat(let attempt, let details):
                await append(.taskHeartbeat(taskID: taskID, attempt: attempt, details: details))
            case .attemptFailed(let attempt, let failure, let retryIn):
                environment.observer.attemptFailed(
                    workflowID: record.workflowID, taskID: taskID, attempt: attempt, failure: failure,
                    willRetry: retryIn != nil)
                // A final failure is announced by `failedForGood`, once the progress counts include it.
                guard let retryIn else { return }
                record.update { state in
                    state.tasks[index].status = .retrying
                    state.tasks[index].error = failure.message
                }
                await append(.taskFailed(
                    taskID: taskID, attempt: attempt, error: failure.message, errorType: failure.type,
                    willRetry: true, retryIn: retryIn))
            }
        }

        private mutating func finished(
            _ index: Int, _ outcome: ActivityRunner.Outcome, cache: CacheUse, group: inout TaskGroup<Void>,
            inbox: AsyncStream<Message>.Continuation
        ) async {
            let taskID = scheduler.graph.tasks[index].id
            let now = environment.clock.unixMilliseconds()
            switch outcome {
            case .succeeded(let output, let attempt, let duration):
                let events: [SchedulerEvent]
                do {
                    events = try scheduler.succeeded(
                        index, expansion: output.newTasks, config: environment.config,
                        isKnownExecutor: environment.executors.isKnown)
                } catch {
                    // An invalid expansion fails the META task for good, with the validation message.
                    let failure = ActivityFailure("invalid task expansion: \(error.message)", type: "InvalidExpansion",
                                                  retryable: false)
                    await failedForGood(index, failure: failure, attempt: attempt, group: &group, inbox: inbox)
                    return
                }
                // Tasks the expansion added join the snapshot now, before any event names them: they may be skipped
                // or cancelled without ever starting.
                addExpandedTasks()
                let result = TaskResult(taskID: taskID, output: output.output, cache: cache.outcome, attempt: attempt,
                                        duration: duration)
                results[index] = result
                taskTime += duration
                record.update { state in
                    state.tasks[index].status = .completed
                    state.tasks[index].output = output.output
                    state.tasks[index].error = ""
                    state.tasks[index].cache = cache.outcome
                    if attempt == 0 { state.tasks[index].startedUnixMs = now }
                    switch cache.outcome {
                    case .reused: state.cache.reused += 1
                    case .adapted: state.cache.adapted += 1
                    case .miss: state.cache.missed += 1
                    case .bypassed: break
                    }
                    state.cache.timeSaved += cache.saved
                    state.tasks[index].finishedUnixMs = now
                    state.runningCount -= 1
                    state.completedCount += 1
                }
                taskFinished(taskID, .completed)
                await append(
                    .taskCompleted(streamed(result)),
                    expansion: output.newTasks.isEmpty ? nil : (taskID, output.newTasks))
                await apply(events, group: &group, inbox: inbox)
            case .failed(let failure, let attempt):
                await failedForGood(index, failure: failure, attempt: attempt, group: &group, inbox: inbox)
            case .cancelled:
                record.update { state in
                    state.tasks[index].status = .cancelled
                    state.tasks[index].finishedUnixMs = now
                    state.runningCount -= 1
                    state.completedCount += 1
                }
                taskFinished(taskID, .cancelled)
                // The scheduler counts the task as ended; a cancelled task's dependents were cancelled with it.
                _ = scheduler.failed(index)
            }
        }

        /// A task failed for good: counted, announced (`task_failed` with `will_retry` false), then its
        /// dependents skipped, or the whole workflow stopped under FAIL_FAST.
        private mutating func failedForGood(
            _ index: Int, failure: ActivityFailure, attempt: Int, group: inout TaskGroup<Void>,
            inbox: AsyncStream<Message>.Continuation
        ) async {
            let now = environment.clock.unixMilliseconds()
            let taskID = scheduler.graph.tasks[index].id
            failedTasks.append(taskID)
            record.update { state in
                state.tasks[index].status = .failed
                state.tasks[index].error = failure.message
                state.tasks[index].finishedUnixMs = now
                state.runningCount -= 1
                state.completedCount += 1
            }
            taskFinished(taskID, .failed)
            await append(.taskFailed(
                taskID: taskID, attempt: attempt, error: failure.message, errorType: failure.type, willRetry: false,
                retryIn: .zero))
            if (options.failurePolicy ?? environment.config.defaultFailurePolicy) == .failFast,
                cancelReason == nil, failFastError == nil
            {
                failFastError = "task \"\(scheduler.graph.tasks[index].id)\" failed: \(failure.message)"
                group.cancelAll()
                // Stop scheduling before the scheduler hears of the failure, so the slot it frees starts nothing: a
                // task started then would never be launched, and the workflow would wait for it forever.
                await cancelPending()
            }
            await apply(scheduler.failed(index), group: &group, inbox: inbox)
        }

        /// Gives the tasks a META expansion added to the graph their (pending) entries in the snapshot.
        private func addExpandedTasks() {
            let graph = scheduler.graph
            record.update { state in
                guard state.tasks.count < graph.count else { return }
                for added in state.tasks.count..<graph.count {
                    state.tasks.append(TaskState(taskID: graph.tasks[added].id, priority: graph.priorities[added]))
                }
            }
        }

        /// Marks every task that has not started CANCELLED; nothing starts after this.
        private mutating func cancelPending() async {
            let pending = scheduler.cancelAll()
            let now = environment.clock.unixMilliseconds()
            let cancelled = record.update { state in
                var cancelled: [String] = []
                for index in pending where !state.tasks[index].status.isFinal {
                    cancelled.append(state.tasks[index].taskID)
                    state.tasks[index].status = .cancelled
                    state.tasks[index].finishedUnixMs = now
                    state.completedCount += 1
                }
                return cancelled
            }
            for taskID in cancelled { taskFinished(taskID, .cancelled) }
        }

        private func taskFinished(_ taskID: String, _ status: TaskStatus) {
            environment.observer.taskFinished(workflowID: record.workflowID, taskID: taskID, status: status)
        }

        // MARK: Events

        /// A result as events carry it: without the payload when result streaming is off.
        private func streamed(_ result: TaskResult) -> TaskResult {
            guard !streamResults else { return result }
            var copy = result
            copy.output = ""
            return copy
        }

        private func append(
            _ payload: WorkflowEvent.Payload, expansion: (parentTaskID: String, tasks: [TaskSpec])? = nil
        ) async {
            let (progress, checkpoint) = record.update { state in
                (state.progress, Self.checkpoint(for: payload, state: state, graph: scheduler.graph))
            }
            var withExpansion = checkpoint
            withExpansion.expansion = expansion
            do {
                let event = try await environment.eventLog.append(
                    workflowID: record.workflowID, timeUnixMs: environment.clock.unixMilliseconds(),
                    progress: progress, payload: payload, checkpoint: withExpansion)
                record.update { $0.lastSequence = event.sequence }
            } catch {
                // The in-memory log only refuses appends after the terminal event, which the loop never makes; a
                // durable one buffers through outages rather than fail.
                assertionFailure("event append failed: \(error)")
            }
        }

        /// The durable state an event announces: the task it names, or on the terminal event the final status and
        /// every task.
        private static func checkpoint(
            for payload: WorkflowEvent.Payload, state: WorkflowRecord.State, graph: TaskGraph
        ) -> WorkflowCheckpoint {
            var checkpoint = WorkflowCheckpoint()
            if payload.isTerminal {
                checkpoint.finished = (state.status, state.finishedUnixMs)
                checkpoint.tasks = state.tasks
                return checkpoint
            }
            let taskID: String? = switch payload {
            case .taskStarted(let taskID, _, _), .taskFailed(let taskID, _, _, _, _, _), .taskSkipped(let taskID, _):
                taskID
            case .taskCompleted(let result): result.taskID
            default: nil
            }
            if let taskID, let index = graph.index(of: taskID), index < state.tasks.count {
                checkpoint.tasks = [state.tasks[index]]
            }
            return checkpoint
        }

        private mutating func finish() async {
            let now = environment.clock.unixMilliseconds()
            let cache = record.update { $0.cache }
            let payload: WorkflowEvent.Payload
            let status: WorkflowStatus
            if let cancelReason {
                status = .cancelled
                payload = .workflowCancelled(reason: cancelReason)
            } else if let failFastError {
                status = .failed
                payload = .workflowFailed(error: failFastError, failedTasks: failedTasks, cache: cache)
            } else if !failedTasks.isEmpty {
                status = .failed
                let list = failedTasks.map { "\"\($0)\"" }.joined(separator: ", ")
                payload = .workflowFailed(error: "\(failedTasks.count) task(s) failed: \(list)", failedTasks: failedTasks,
                                          cache: cache)
            } else {
                status = .completed
                payload = .workflowCompleted(duration: environment.clock.now() - started, taskTime: taskTime, cache: cache)
            }
            // The snapshot turns final (naming the terminal event's sequence) before that event is appended, so a
            // watcher that sees the end finds the final snapshot in Get.
            record.finish(status: status, at: now)
            environment.observer.workflowFinished(
                workflowID: record.workflowID, status: status, duration: environment.clock.now() - started)
            await append(payload)
        }
    }
}
