import Testing
import WeftCLI
import WeftMessages

@Suite("One line per event")
struct EventLineTests {
    private func event(
        _ sequence: UInt64, _ payload: Weft_V1_WorkflowEvent.Payload, completed: UInt32 = 5
    )
        -> Weft_V1_WorkflowEvent
    {
        Weft_V1_WorkflowEvent(
            sequence: sequence, workflowID: "wf", timeUnixMs: 1000,
            progress: Weft_V1_Progress(completed: completed, total: 10), payload: payload)
    }

    @Test("a completed task shows attempt, duration, cache outcome and progress")
    func completed() {
        let line = EventLine.format(
            event(
                12,
                .taskCompleted(
                    Weft_V1_TaskCompleted(
                        result: Weft_V1_TaskResult(
                            taskID: "login", cache: Weft_V1_CacheHit(outcome: .bypassed), attempt: 1, durationMs: 412)))
            ))
        #expect(line == "seq=12 task_completed task=login attempt=1 duration=412ms cache=BYPASSED progress=5/10")
    }

    @Test("a reused result shows its similarity and source")
    func reused() {
        let line = EventLine.format(
            event(
                4,
                .taskCompleted(
                    Weft_V1_TaskCompleted(
                        result: Weft_V1_TaskResult(
                            taskID: "a",
                            cache: Weft_V1_CacheHit(outcome: .reused, similarity: 0.9712, sourceTask: "wf0/a"),
                            attempt: 0, durationMs: 0)))))
        #expect(
            line == "seq=4 task_completed task=a attempt=0 duration=0ms cache=REUSED(0.97) source=wf0/a progress=5/10")
    }

    @Test("values with spaces are quoted; a retry shows its delay, a final failure says so")
    func failures() {
        let retry = EventLine.format(
            event(
                7,
                .taskFailed(
                    Weft_V1_TaskFailed(
                        taskID: "jwt", attempt: 1, error: "simulated failure (attempt 1 of 1)",
                        errorType: "SimulatedFailure",
                        willRetry: true, retryInMs: 200))))
        #expect(
            retry == #"seq=7 task_failed task=jwt attempt=1 error_type=SimulatedFailure "#
                + #"error="simulated failure (attempt 1 of 1)" retry_in=200ms progress=5/10"#)
        let final = EventLine.format(
            event(9, .taskFailed(Weft_V1_TaskFailed(taskID: "jwt", attempt: 3, error: "boom"))))
        #expect(final == "seq=9 task_failed task=jwt attempt=3 error=boom final=true progress=5/10")
    }

    @Test("workflow-level events carry the makespan and the sum of task durations")
    func workflow() {
        let done = EventLine.format(
            event(
                40,
                .workflowCompleted(
                    Weft_V1_WorkflowCompleted(
                        durationMs: 2410, taskTimeMs: 5500, cache: Weft_V1_CacheSummary(missed: 10))), completed: 10))
        #expect(
            done == "seq=40 workflow_completed duration=2410ms task_time=5500ms reused=0 adapted=0 missed=10 "
                + "saved=0ms progress=10/10")
        let batch = EventLine.format(event(2, .batchStarted(Weft_V1_BatchStarted(index: 1, taskIds: ["a", "b"]))))
        #expect(batch == "seq=2 batch_started batch=1 tasks=a,b progress=5/10")
        let cancelled = EventLine.format(event(3, .workflowCancelled(Weft_V1_WorkflowCancelled())))
        #expect(cancelled == #"seq=3 workflow_cancelled reason="" progress=5/10"#)
    }
}
