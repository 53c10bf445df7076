import ArgumentParser
import WeftServer

extension WeftdConfiguration {
    /// Maps the overload options onto `config.overload`: a flag wins over its variable.
    func applyOverload(_ options: OverloadOptions, to config: inout WeftServerConfig) throws {
        var overload = config.overload
        overload.maxRunningWorkflows =
            try int(options.maxRunningWorkflows, "WEFT_MAX_RUNNING_WORKFLOWS") ?? overload.maxRunningWorkflows
        overload.maxPendingTasks = try int(options.maxPendingTasks, "WEFT_MAX_PENDING_TASKS") ?? overload.maxPendingTasks
        overload.maxQueuedActivities =
            try int(options.maxQueuedActivities, "WEFT_MAX_QUEUED_ACTIVITIES") ?? overload.maxQueuedActivities
        guard overload.maxRunningWorkflows >= 1, overload.maxPendingTasks >= 1, overload.maxQueuedActivities >= 1 else {
            throw ValidationError(
                "--max-running-workflows, --max-pending-tasks and --max-queued-activities must be at least 1")
        }
        config.overload = overload
    }
}
