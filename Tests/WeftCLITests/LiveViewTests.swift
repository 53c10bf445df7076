import Testing
import WeftCLI
import WeftMessages

@Suite("The live view's state and rendering")
struct LiveViewTests {
    private func event(
        _ sequence: UInt64, at ms: UInt64, _ payload: Weft_V1_WorkflowEvent.Payload,
        completed: UInt32, running: UInt32 = 0
    ) -> Weft_V1_WorkflowEvent {
        Weft_V1_WorkflowEvent(
            sequence: sequence, workflowID: "wf", timeUnixMs: ms,
            progress: Weft_V1_Progress(completed: completed, total: 3, running: running),
            payload: payload)
    }

    private func result(
        _ id: String, _ ms: UInt64, _ outcome: Weft_V1_CacheOutcome = .miss, attempt: UInt32 = 1
    )
        -> Weft_V1_WorkflowEvent.Payload
    {
        .taskCompleted(
            Weft_V1_TaskCompleted(
                result: Weft_V1_TaskResult(
                    taskID: id, cache: Weft_V1_CacheHit(outcome: outcome), attempt: attempt, durationMs: ms)))
    }

    @Test("running tasks show attempt and elapsed time; finished tasks print once with duration and cache")
    func running() {
        var view = LiveView(colors: false)
        let plan = [Weft_V1_PlannedBatch(index: 0, tasks: [Weft_V1_PlannedTask(taskID: "schema", priority: 32)])]
        #expect(
            view.apply(
                event(
                    1, at: 1000, .workflowAccepted(Weft_V1_WorkflowAccepted(plan: plan, taskCount: 3)),
                    completed: 0)) == ["workflow accepted: 3 tasks"])
        #expect(
            view.apply(
                event(
                    2, at: 1000, .taskStarted(Weft_V1_TaskStarted(taskID: "schema", attempt: 1)),
                    completed: 0, running: 1)
            ).isEmpty)
        #expect(
            view.apply(
                event(
                    3, at: 1100, .taskStarted(Weft_V1_TaskStarted(taskID: "login", attempt: 2)),
                    completed: 0, running: 2)
            ).isEmpty)
        let status = view.statusLines(nowUnixMs: 1550, width: 80)
        #expect(status.count == 3)
        #expect(status[0].hasPrefix("[░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░] 0/3  2 running  500ms"))
        #expect(status[1] == "▸ schema      attempt 1  500ms")
        #expect(status[2] == "▸ login       attempt 2  400ms")
        let done = view.apply(event(4, at: 1600, result("schema", 600, .adapted), completed: 1, running: 1))
        #expect(done == ["✓ schema      600ms     ADAPTED(0.00)"])
        #expect(view.statusLines(nowUnixMs: 1600, width: 80).count == 2)
    }

    @Test("retries, final failures and skips print a line each, and the summary counts them")
    func failures() throws {
        var view = LiveView(colors: false)
        _ = view.apply(event(1, at: 0, .taskStarted(Weft_V1_TaskStarted(taskID: "a", attempt: 1)), completed: 0))
        let retry = view.apply(
            event(
                2, at: 300,
                .taskFailed(
                    Weft_V1_TaskFailed(
                        taskID: "a", attempt: 1, error: "boom", willRetry: true, retryInMs: 200)), completed: 0))
        #expect(retry == ["↻ a           attempt 1 failed after 300ms: boom (retry in 200ms)"])
        let final = view.apply(
            event(
                3, at: 900,
                .taskFailed(
                    Weft_V1_TaskFailed(
                        taskID: "a", attempt: 2,
                        error: "boom")), completed: 1))
        #expect(final == ["✗ a           failed for good on attempt 2: boom"])
        let skip = view.apply(
            event(
                4, at: 900, .taskSkipped(Weft_V1_TaskSkipped(taskID: "b", reason: "a failed")),
                completed: 2))
        #expect(skip == ["– b           skipped: a failed"])
        _ = view.apply(
            event(
                5, at: 1000,
                .workflowFailed(
                    Weft_V1_WorkflowFailed(
                        error: "1 task failed",
                        failedTasks: ["a"])), completed: 3))
        let summary = try #require(view.summaryLine)
        #expect(
            summary == "FAILED after 1.00s: 1 task failed · sum of task durations 0ms · failed: a · 1 retry · 1 skipped"
        )
    }

    @Test("the summary of a completed workflow gives makespan, sequential time and speed-up")
    func summary() throws {
        var view = LiveView(colors: false)
        #expect(view.summaryLine == nil)
        _ = view.apply(
            event(
                9, at: 5000,
                .workflowCompleted(
                    Weft_V1_WorkflowCompleted(
                        durationMs: 2410, taskTimeMs: 7800, cache: Weft_V1_CacheSummary(reused: 1, missed: 9))),
                completed: 3))
        #expect(
            try #require(view.summaryLine)
                == "COMPLETED in 2.41s · sum of task durations 7.80s · speed-up 3.24× · "
                + "cache 1 reused / 0 adapted / 9 missed"
        )
        #expect(view.statusLines(nowUnixMs: 99_999, width: 80)[0].hasPrefix("[██████████████████████████████] 3/3"))
    }

    @Test("status lines never exceed the terminal width, colours or not")
    func width() {
        for colors in [false, true] {
            var view = LiveView(colors: colors)
            for index in 0..<20 {
                _ = view.apply(
                    event(
                        UInt64(index + 1), at: 0,
                        .taskStarted(
                            Weft_V1_TaskStarted(
                                taskID: "a-rather-long-task-identifier-\(index)", attempt: 1)), completed: 0))
            }
            let lines = view.statusLines(nowUnixMs: 10, width: 40, maxLines: 6)
            #expect(lines.count == 6)
            #expect(lines.allSatisfy { TextFormat.visibleCount($0) <= 39 })
            #expect(lines[5].contains("15 more") || lines[5].hasSuffix("…") || lines[5].contains("more"))
        }
    }

    @Test("the screen erases the previous status region before drawing the next")
    func screen() {
        var screen = LiveScreen()
        #expect(screen.frame(newLines: ["a"], status: ["s1", "s2"]) == "a\ns1\ns2\n")
        #expect(screen.frame(newLines: [], status: ["s3"]) == "\r\u{1B}[2A\u{1B}[Js3\n")
        #expect(screen.frame(newLines: ["b"], status: []) == "\r\u{1B}[1A\u{1B}[Jb\n")
        #expect(screen.frame(newLines: ["c"], status: []) == "c\n")
    }

    @Test("durations read naturally at every scale")
    func durations() {
        #expect(TextFormat.duration(ms: 412) == "412ms")
        #expect(TextFormat.duration(ms: 2410) == "2.41s")
        #expect(TextFormat.duration(ms: 185_000) == "3m05s")
        #expect(TextFormat.duration(ms: 7_440_000) == "2h04m")
        #expect(TextFormat.truncate("abcdef", width: 4) == "abc…")
        #expect(TextFormat.truncate("abc", width: 4) == "abc")
    }

    @Test("heartbeat progress shows as a percentage next to the running task")
    func heartbeat() {
        var view = LiveView(colors: false)
        _ = view.apply(
            event(1, at: 0, .taskStarted(Weft_V1_TaskStarted(taskID: "a", attempt: 1)), completed: 0, running: 1))
        _ = view.apply(
            event(
                2, at: 100,
                .taskHeartbeat(Weft_V1_TaskHeartbeat(taskID: "a", attempt: 1, details: #"{"progress":0.25}"#)),
                completed: 0, running: 1))
        #expect(
            view.statusLines(nowUnixMs: 300, width: 80)[1] == "▸ a           attempt 1  300ms  heartbeat 25% at 100ms")
    }

    @Test("the plan lists each batch's tasks with priorities, wrapped under the first task")
    func plan() {
        let response = Weft_V1_SubmitWorkflowResponse(
            workflowID: "wf-1",
            plan: [
                Weft_V1_PlannedBatch(
                    index: 0,
                    tasks: [
                        Weft_V1_PlannedTask(taskID: "jwt-service", priority: 53),
                        Weft_V1_PlannedTask(taskID: "db-schema", priority: 36),
                        Weft_V1_PlannedTask(taskID: "docs", priority: 10),
                    ]),
                Weft_V1_PlannedBatch(index: 1, tasks: [Weft_V1_PlannedTask(taskID: "tests", priority: 25)]),
            ])
        #expect(
            WorkflowText.submission(response, width: 44) == [
                "workflow wf-1",
                "plan: 4 tasks in 2 batches (task priority in parentheses)",
                "  batch 0: jwt-service (53), db-schema (36),",
                "           docs (10)",
                "  batch 1: tests (25)",
            ])
    }
}
