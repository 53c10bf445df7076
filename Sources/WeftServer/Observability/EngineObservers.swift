public import WeftEngine

/// Hands every engine event to each observer in order (telemetry, admission control).
public struct EngineObservers: EngineObserver {
    private let observers: [any EngineObserver]

    public init(_ observers: [any EngineObserver]) {
        self.observers = observers
    }

    public func workflowAccepted(workflowID: String, taskCount: Int) {
        for observer in observers { observer.workflowAccepted(workflowID: workflowID, taskCount: taskCount) }
    }

    public func workflowFinished(workflowID: String, status: WorkflowStatus, duration: Duration) {
        for observer in observers { observer.workflowFinished(workflowID: workflowID, status: status, duration: duration) }
    }

    public func attemptStarted(workflowID: String, taskID: String, attempt: Int) {
        for observer in observers { observer.attemptStarted(workflowID: workflowID, taskID: taskID, attempt: attempt) }
    }

    public func attemptFailed(workflowID: String, taskID: String, attempt: Int, failure: ActivityFailure, willRetry: Bool) {
        for observer in observers {
            observer.attemptFailed(
                workflowID: workflowID, taskID: taskID, attempt: attempt, failure: failure, willRetry: willRetry)
        }
    }

    public func taskFinished(workflowID: String, taskID: String, status: TaskStatus) {
        for observer in observers { observer.taskFinished(workflowID: workflowID, taskID: taskID, status: status) }
    }

    public func readyTasksChanged(workflowID: String, by delta: Int) {
        for observer in observers { observer.readyTasksChanged(workflowID: workflowID, by: delta) }
    }
}
