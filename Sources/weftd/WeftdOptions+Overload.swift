import ArgumentParser

/// The overload (admission control) options of `weftd`; each names its environment variable.
struct OverloadOptions: ParsableArguments {
    @Option(help: "Workflows running at once; SubmitWorkflow past it is RESOURCE_EXHAUSTED (env WEFT_MAX_RUNNING_WORKFLOWS; default 1000).")
    var maxRunningWorkflows: Int?

    @Option(help: "Unfinished tasks across running workflows, a new submission's included; past it SubmitWorkflow is RESOURCE_EXHAUSTED (env WEFT_MAX_PENDING_TASKS; default 100000).")
    var maxPendingTasks: Int?

    @Option(help: "Activities of queue:NAME tasks waiting for a worker on this process; at or past it SubmitWorkflow is RESOURCE_EXHAUSTED (env WEFT_MAX_QUEUED_ACTIVITIES; default 100000).")
    var maxQueuedActivities: Int?
}
