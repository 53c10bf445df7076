internal import HeapModule

/// Decides which tasks of one workflow start when: a pure state machine over a ``TaskGraph`` (no clock, no tasks, no
/// I/O). The caller reports each started task's final outcome and runs the ``SchedulerEvent``s it gets back, in order.
///
/// **EAGER**: a task is ready once all its dependencies succeeded; whenever fewer than `maxParallel` tasks run, the
/// ready task with the highest priority (ties: lower index) starts. No barrier.
///
/// **BATCH** (the original platform's `_create_parallel_execution_batches`): when no batch is running, the whole ready
/// set is ordered by priority and cut into batches of at most `maxParallel`; the first starts. When every task of a
/// batch reached a final state, `.batchCompleted` is emitted and the next batch *of that same cut* starts; only when
/// the cut is used up is a new ready set formed (including tasks that became ready meanwhile). This is our reading of
/// the original loop, which computed all batches of the ready set each round and awaited them one after another with
/// `asyncio.gather`; a task made ready by batch 1 of a cut therefore waits for batches 2, 3, … of that cut, even when
/// its priority is higher.
///
/// Retries are invisible here: a task stays running across its attempts until the caller reports ``succeeded(_:)`` or
/// ``failed(_:)``. A failed task's transitive dependents are skipped and never start; independent branches go on.
///
/// Every transition costs only the work it causes (arrays indexed by task, a heap of packed keys for the ready set);
/// only ``cancelAll()`` scans every task.
public struct Scheduler: Sendable {
    private enum Phase: UInt8 {
        case pending, ready, running, succeeded, failed, skipped, cancelled
    }

    /// The graph, grown by META expansions.
    public private(set) var graph: TaskGraph
    /// How ready tasks are started.
    public let mode: SchedulingMode
    /// Tasks running at once, at most; the batch size in BATCH mode.
    public let maxParallel: Int
    /// Tasks started and not yet reported succeeded or failed.
    public private(set) var runningCount = 0

    /// Tasks whose dependencies are done, waiting for a slot (EAGER) or for their batch (BATCH): the ready queue.
    public var readyCount: Int {
        switch mode {
        case .eager: readyHeap.count
        case .batch: readySet.count + formed.count - formedCursor
        }
    }

    private var phase: [Phase]
    /// Dependencies not yet succeeded.
    private var unmet: [Int32]
    /// For a skipped task, the failed task it was skipped for (read when an expansion depends on it).
    private var skipCause: [Int32]
    private var isCancelled = false

    /// EAGER: the ready tasks as ``ReadyKey``s.
    private var readyHeap = Heap<Int64>()
    /// BATCH: tasks that became ready since the current ready set was cut.
    private var readySet: [Int] = []
    /// BATCH: the current ready set in priority order; `formed[formedCursor...]` are its batches not yet started.
    private var formed: [Int] = []
    private var formedCursor = 0
    /// BATCH: the running batch, its index, and how many of its tasks have not finished.
    private var batch: [Int] = []
    private var batchIndex = 0
    private var batchOutstanding = 0
    private var nextBatchIndex = 0

    /// A scheduler with every task pending; those without dependencies are ready. Nothing starts before ``start()``.
    ///
    /// - Parameters:
    ///   - graph: The validated DAG.
    ///   - mode: EAGER or BATCH.
    ///   - maxParallel: At least 1.
    public init(graph: TaskGraph, mode: SchedulingMode, maxParallel: Int) {
        self.init(graph: graph, mode: mode, maxParallel: maxParallel, succeeded: [], failed: [])
    }

    /// A scheduler resuming a workflow after a restart: `succeeded` tasks count as done before anything starts (they
    /// never run again), `failed` ones as failed for good, their transitive dependents skipped silently (the caller
    /// restores those states; no event is returned for them). Every other task is pending or ready as usual.
    public init(graph: TaskGraph, mode: SchedulingMode, maxParallel: Int, succeeded: Set<Int>, failed: Set<Int>) {
        precondition(maxParallel >= 1, "maxParallel must be at least 1")
        self.graph = graph
        self.mode = mode
        self.maxParallel = maxParallel
        let count = graph.count
        phase = [Phase](repeating: .pending, count: count)
        skipCause = [Int32](repeating: -1, count: count)
        unmet = graph.dependencies.map { dependencies in
            Int32(dependencies.lazy.filter { !succeeded.contains($0) }.count)
        }
        for task in succeeded { phase[task] = .succeeded }
        var ignored: [SchedulerEvent] = []
        for task in failed.sorted() where phase[task] == .pending {
            phase[task] = .failed
            skipDependents(of: task, cause: task, into: &ignored)
        }
        var roots: [Int] = []
        for task in 0..<count where unmet[task] == 0 && phase[task] == .pending {
            phase[task] = .ready
            roots.append(task)
        }
        switch mode {
        case .eager:
            let priorities = graph.priorities
            readyHeap = Heap(roots.lazy.map { ReadyKey.make(task: $0, priority: priorities[$0]) })
        case .batch:
            readySet = roots
        }
    }

    /// True when nothing runs and nothing can start: every task succeeded, failed, was skipped or cancelled.
    public var isFinished: Bool {
        runningCount == 0 && (isCancelled || !hasReadyTasks)
    }

    private var hasReadyTasks: Bool {
        switch mode {
        case .eager: !readyHeap.isEmpty
        case .batch: !readySet.isEmpty || formedCursor < formed.count
        }
    }

    /// Starts the first tasks: up to `maxParallel` ready tasks (EAGER) or the first batch (BATCH).
    public mutating func start() -> [SchedulerEvent] {
        var events: [SchedulerEvent] = []
        fill(into: &events)
        return events
    }

    /// Reports that a running task succeeded (after however many attempts) and starts what that allows.
    ///
    /// Use ``succeeded(_:expansion:config:isKnownExecutor:)`` for a META task whose result adds tasks.
    public mutating func succeeded(_ task: Int) -> [SchedulerEvent] {
        var events: [SchedulerEvent] = []
        complete(task, into: &events)
        fill(into: &events)
        return events
    }

    /// Reports that a running task succeeded, adding the tasks its result carries (a META expansion), and starts what
    /// that allows.
    ///
    /// The new tasks join the graph (see ``TaskGraph/add(_:parent:config:isKnownExecutor:)``), depend on `task`, and
    /// are scheduled like any other; one depending on a task that failed or was skipped is skipped at once. After
    /// ``cancelAll()`` an expansion is dropped.
    ///
    /// - Throws: `EngineError(.invalidArgument, …)` for an invalid expansion. Nothing changes then: the task is still
    ///   running, and the caller reports it with ``failed(_:)``.
    public mutating func succeeded(
        _ task: Int,
        expansion: [TaskSpec] = [],
        config: EngineConfig,
        isKnownExecutor: (String) -> Bool
    ) throws(EngineError) -> [SchedulerEvent] {
        precondition(phase[task] == .running, "task \(task) is not running")
        var events: [SchedulerEvent] = []
        if !expansion.isEmpty && !isCancelled {
            let added = try graph.add(expansion, parent: task, config: config, isKnownExecutor: isKnownExecutor)
            admit(added, into: &events)
        }
        complete(task, into: &events)
        fill(into: &events)
        return events
    }

    /// Reports that a running task failed for good: its transitive dependents are skipped (`.skipped(d, because:
    /// task)`, in index order) and the freed slot is filled.
    public mutating func failed(_ task: Int) -> [SchedulerEvent] {
        precondition(phase[task] == .running, "task \(task) is not running")
        phase[task] = .failed
        var events: [SchedulerEvent] = []
        skipDependents(of: task, cause: task, into: &events)
        finish(task, into: &events)
        fill(into: &events)
        return events
    }

    /// Stops scheduling: every task not yet started (pending or ready) is cancelled and returned in index order, for
    /// the caller to mark CANCELLED. Nothing starts afterwards; running tasks are still reported with
    /// ``succeeded(_:)`` or ``failed(_:)`` (their dependents are already cancelled, so nothing is skipped).
    public mutating func cancelAll() -> [Int] {
        isCancelled = true
        var cancelled: [Int] = []
        for task in phase.indices where phase[task] == .pending || phase[task] == .ready {
            phase[task] = .cancelled
            cancelled.append(task)
        }
        readyHeap = Heap()
        readySet = []
        formed = []
        formedCursor = 0
        return cancelled
    }

    /// Succeeds several running tasks as if at the same instant, then fills the freed slots once (for ``plan``).
    mutating func succeeded(together tasks: [Int]) -> [SchedulerEvent] {
        var events: [SchedulerEvent] = []
        for task in tasks { complete(task, into: &events) }
        fill(into: &events)
        return events
    }

    // MARK: - Transitions

    private mutating func complete(_ task: Int, into events: inout [SchedulerEvent]) {
        precondition(phase[task] == .running, "task \(task) is not running")
        phase[task] = .succeeded
        for dependent in graph.dependents[task] {
            unmet[dependent] -= 1
            if unmet[dependent] == 0 && phase[dependent] == .pending { makeReady(dependent) }
        }
        finish(task, into: &events)
    }

    /// Bookkeeping shared by success and failure: the slot, and in BATCH mode the batch's completion.
    private mutating func finish(_ task: Int, into events: inout [SchedulerEvent]) {
        runningCount -= 1
        guard mode == .batch else { return }
        batchOutstanding -= 1
        if batchOutstanding == 0 {
            events.append(.batchCompleted(index: batchIndex, tasks: batch))
            batch = []
        }
    }

    private mutating func makeReady(_ task: Int) {
        phase[task] = .ready
        switch mode {
        case .eager: readyHeap.insert(ReadyKey.make(task: task, priority: graph.priorities[task]))
        case .batch: readySet.append(task)
        }
    }

    /// Starts what the mode allows now.
    private mutating func fill(into events: inout [SchedulerEvent]) {
        if isCancelled { return }
        switch mode {
        case .eager:
            while runningCount < maxParallel, let key = readyHeap.popMax() {
                let task = ReadyKey.task(key)
                phase[task] = .running
                runningCount += 1
                events.append(.start(task))
            }
        case .batch:
            guard batchOutstanding == 0 else { return }
            if formedCursor == formed.count {
                if readySet.isEmpty { return }
                formReadySet()
            }
            let end = min(formedCursor + maxParallel, formed.count)
            batch = Array(formed[formedCursor..<end])
            formedCursor = end
            batchIndex = nextBatchIndex
            nextBatchIndex += 1
            batchOutstanding = batch.count
            events.append(.batchStarted(index: batchIndex, tasks: batch))
            for task in batch {
                phase[task] = .running
                runningCount += 1
                events.append(.start(task))
            }
        }
    }

    /// BATCH: orders the ready set by priority (ties: lower index) as the batches to run next.
    private mutating func formReadySet() {
        let priorities = graph.priorities
        var keys = readySet.map { ReadyKey.make(task: $0, priority: priorities[$0]) }
        keys.sort(by: >)
        formed = keys.map(ReadyKey.task)
        formedCursor = 0
        readySet.removeAll(keepingCapacity: true)
    }

    /// Marks every pending transitive dependent of `root` skipped for `cause`, reported in index order.
    private mutating func skipDependents(of root: Int, cause: Int, into events: inout [SchedulerEvent]) {
        var stack = [root]
        var skipped: [Int] = []
        while let task = stack.popLast() {
            for dependent in graph.dependents[task] where phase[dependent] == .pending {
                phase[dependent] = .skipped
                skipCause[dependent] = Int32(cause)
                skipped.append(dependent)
                stack.append(dependent)
            }
        }
        skipped.sort()
        for task in skipped { events.append(.skipped(task, because: cause)) }
    }

    /// Gives an expansion's new tasks their state: pending on the dependencies not yet succeeded, or skipped at once
    /// when one of them failed or was skipped.
    private mutating func admit(_ added: Range<Int>, into events: inout [SchedulerEvent]) {
        phase += [Phase](repeating: .pending, count: added.count)
        unmet += [Int32](repeating: 0, count: added.count)
        skipCause += [Int32](repeating: -1, count: added.count)
        var doomed: [(task: Int, cause: Int)] = []
        for task in added {
            var waiting: Int32 = 0
            var cause: Int?
            for dependency in graph.dependencies[task] {
                switch phase[dependency] {
                case .succeeded: break
                case .failed, .cancelled: cause = cause ?? dependency
                case .skipped: cause = cause ?? Int(skipCause[dependency])
                case .pending, .ready, .running: waiting += 1
                }
            }
            unmet[task] = waiting
            if let cause { doomed.append((task, cause)) }
        }
        for (task, cause) in doomed where phase[task] == .pending {
            phase[task] = .skipped
            skipCause[task] = Int32(cause)
            events.append(.skipped(task, because: cause))
            skipDependents(of: task, cause: cause, into: &events)
        }
    }
}
