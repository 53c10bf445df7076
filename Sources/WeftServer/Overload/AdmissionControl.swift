public import CoreMetrics
public import WeftEngine
import Synchronization
import WeftRPC

/// Admission control for `SubmitWorkflow`: counts running workflows and their unfinished tasks through the
/// engine's ``EngineObserver`` hooks and reserves capacity atomically before a submission reaches the engine.
///
/// A submission first reserves one workflow and its tasks (``admit(taskCount:_:)``); the reservation is handed
/// over to the engine's counts when the engine reports the workflow accepted within that submission, and is
/// released if the submission fails or was a duplicate. Past a limit the submission fails with
/// RESOURCE_EXHAUSTED naming the limit, its flag and the current use.
///
/// Gauges (with a swift-metrics factory): `weft_overload_limit{resource}` and `weft_overload_in_use{resource}`
/// for `running_workflows`, `pending_tasks` and every ``OverloadProbe``; `weft_overload_rejected_total{resource}`.
public final class AdmissionControl: EngineObserver {
    private struct State {
        var runningWorkflows = 0
        var pendingTasks = 0
        /// Unfinished tasks of each running workflow, so that its remainder is released when it ends.
        var pendingByWorkflow: [String: Int] = [:]
        /// Reservations of submissions under way, by id: one workflow each and its tasks.
        var reservations: [Int: Int] = [:]
        var nextReservation = 0
    }

    private struct Gauges: Sendable {
        let limits: [String: Gauge]
        let inUse: [String: Gauge]
        let rejected: [String: Counter]
    }

    /// The reservation of the submission running in the current task, so the engine's `workflowAccepted`
    /// hook (called inside `submit`) takes it over.
    @TaskLocal private static var reservation: Int?

    private let settings: OverloadSettings
    private let state = Mutex(State())
    private let gauges: Gauges?

    /// Limits from `settings`; gauges on `factory` (`nil`: no metrics).
    public init(settings: OverloadSettings, factory: (any MetricsFactory)?) {
        self.settings = settings
        let resources = ["running_workflows", "pending_tasks"] + settings.probes.map(\.resource)
        gauges = factory.map { factory in
            func make<M>(_ build: (String) -> M) -> [String: M] {
                Dictionary(uniqueKeysWithValues: resources.map { ($0, build($0)) })
            }
            return Gauges(
                limits: make { Gauge(label: "weft_overload_limit", dimensions: [("resource", $0)], factory: factory) },
                inUse: make { Gauge(label: "weft_overload_in_use", dimensions: [("resource", $0)], factory: factory) },
                rejected: make {
                    Counter(label: "weft_overload_rejected_total", dimensions: [("resource", $0)], factory: factory)
                })
        }
        gauges?.limits["running_workflows"]?.record(settings.maxRunningWorkflows)
        gauges?.limits["pending_tasks"]?.record(settings.maxPendingTasks)
        for probe in settings.probes { gauges?.limits[probe.resource]?.record(probe.limit) }
        refreshGauges()
    }

    /// Workflows running and tasks pending now, reservations of submissions under way included.
    public var usage: (runningWorkflows: Int, pendingTasks: Int) {
        state.withLock { ($0.runningWorkflows + $0.reservations.count, $0.pendingTasks + $0.reservations.values.reduce(0, +)) }
    }

    /// Runs `submit` (which calls the engine) with one workflow of `taskCount` tasks reserved, or throws
    /// RESOURCE_EXHAUSTED without calling it when a limit would be passed.
    public func admit<T>(taskCount: Int, _ submit: () async throws -> T) async throws -> T {
        let id = try reserve(taskCount: taskCount)
        defer {
            // Still here unless the engine accepted the workflow in this submission (a duplicate or an error).
            state.withLock { _ = $0.reservations.removeValue(forKey: id) }
            refreshGauges()
        }
        return try await Self.$reservation.withValue(id) { try await submit() }
    }

    private func reserve(taskCount: Int) throws -> Int {
        for probe in settings.probes {
            let current = probe.current()
            if current >= probe.limit {
                throw reject(probe.resource, "\(probe.resource.replacingOccurrences(of: "_", with: " ")) at \(current) of \(probe.flag) \(probe.limit)")
            }
        }
        let (maxWorkflows, maxTasks) = (settings.maxRunningWorkflows, settings.maxPendingTasks)
        let outcome = state.withLock { state -> Result<Int, RPCError> in
            let workflows = state.runningWorkflows + state.reservations.count
            let tasks = state.pendingTasks + state.reservations.values.reduce(0, +)
            if workflows + 1 > maxWorkflows {
                return .failure(reject(
                    "running_workflows", "\(workflows) workflows running or being submitted, --max-running-workflows is \(maxWorkflows)"))
            }
            if tasks + taskCount > maxTasks {
                let why = taskCount > maxTasks
                    ? "the workflow's \(taskCount) tasks exceed --max-pending-tasks \(maxTasks) on their own"
                    : "\(tasks) tasks pending and \(taskCount) submitted, --max-pending-tasks is \(maxTasks)"
                return .failure(reject("pending_tasks", why))
            }
            let id = state.nextReservation
            state.nextReservation += 1
            state.reservations[id] = taskCount
            return .success(id)
        }
        refreshGauges()
        return try outcome.get()
    }

    private func reject(_ resource: String, _ detail: String) -> RPCError {
        gauges?.rejected[resource]?.increment()
        return RPCError(code: .resourceExhausted, message: "the server is overloaded: \(detail); retry later")
    }

    /// Sets the in-use gauges, the probes' included (called on every change and before each scrape).
    public func refreshGauges() {
        guard let gauges else { return }
        let (workflows, tasks) = usage
        gauges.inUse["running_workflows"]?.record(workflows)
        gauges.inUse["pending_tasks"]?.record(tasks)
        for probe in settings.probes { gauges.inUse[probe.resource]?.record(probe.current()) }
    }

    // MARK: EngineObserver

    public func workflowAccepted(workflowID: String, taskCount: Int) {
        let reservation = Self.reservation
        state.withLock { state in
            // The reservation made for this submission becomes the engine's count (a workflow accepted in
            // another task, e.g. recovered at start, is simply counted).
            if let reservation { state.reservations[reservation] = nil }
            state.runningWorkflows += 1
            state.pendingTasks += taskCount
            state.pendingByWorkflow[workflowID] = taskCount
        }
        refreshGauges()
    }

    public func taskFinished(workflowID: String, taskID: String, status: TaskStatus) {
        state.withLock { state in
            // Tasks added by META expansion were never counted: only counted ones are released.
            guard let pending = state.pendingByWorkflow[workflowID], pending > 0 else { return }
            state.pendingByWorkflow[workflowID] = pending - 1
            state.pendingTasks -= 1
        }
    }

    public func workflowFinished(workflowID: String, status: WorkflowStatus, duration: Duration) {
        state.withLock { state in
            guard let pending = state.pendingByWorkflow.removeValue(forKey: workflowID) else { return }
            state.pendingTasks -= pending
            state.runningWorkflows -= 1
        }
        refreshGauges()
    }
}
