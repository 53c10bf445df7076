import Testing
import WeftCLI
import WeftMessages

@Suite("Writing messages in the proto3 JSON mapping")
struct ProtoJSONEncodingTests {
    @Test("an event is written with JSON names, 64-bit integers as strings, enums by name, defaults left out")
    func taskCompleted() {
        let event = Weft_V1_WorkflowEvent(
            sequence: 12, workflowID: "wf-1", timeUnixMs: 1_700_000_000_000,
            progress: Weft_V1_Progress(completed: 5, total: 10, running: 2),
            payload: .taskCompleted(
                Weft_V1_TaskCompleted(
                    result: Weft_V1_TaskResult(
                        taskID: "login", cache: Weft_V1_CacheHit(outcome: .bypassed), attempt: 1, durationMs: 412))))
        #expect(
            event.protoJSONText == """
                {"sequence":"12","workflowId":"wf-1","timeUnixMs":"1700000000000",\
                "progress":{"completed":5,"total":10,"running":2},\
                "taskCompleted":{"result":{"taskId":"login","cache":{"outcome":"CACHE_OUTCOME_BYPASSED"},\
                "attempt":1,"durationMs":"412"}}}
                """)
    }

    @Test("a set oneof member with only default fields is still written, as {}")
    func emptyPayload() {
        let event = Weft_V1_WorkflowEvent(sequence: 3, payload: .workflowCancelled(Weft_V1_WorkflowCancelled()))
        #expect(event.protoJSONText == #"{"sequence":"3","workflowCancelled":{}}"#)
    }

    @Test("repeated fields, doubles and unknown enum numbers are written as the mapping says")
    func details() {
        let batch = Weft_V1_WorkflowEvent(payload: .batchStarted(Weft_V1_BatchStarted(index: 0, taskIds: ["a", "b"])))
        #expect(batch.protoJSONText == #"{"batchStarted":{"taskIds":["a","b"]}}"#)
        let hit = Weft_V1_CacheHit(outcome: .unrecognized(7), similarity: 0.875, sourceTask: "wf/a")
        #expect(hit.protoJSONText == #"{"outcome":7,"similarity":0.875,"sourceTask":"wf/a"}"#)
        let status = Weft_V1_CancelWorkflowResponse(status: .cancelled)
        #expect(status.protoJSONText == #"{"status":"WORKFLOW_STATUS_CANCELLED"}"#)
    }

    @Test("strings are escaped so that every object stays on one line")
    func escaping() {
        let failed = Weft_V1_TaskFailed(taskID: "t", error: "line 1\nline \"2\"\t\u{01}\\")
        #expect(failed.protoJSONText == #"{"taskId":"t","error":"line 1\nline \"2\"\t\u0001\\"}"#)
    }

    @Test("the parser keeps member order and number literals, and round-trips its own output")
    func parser() throws {
        let text = #"{"b":[1,-2.5e3,true,null],"a":{"s":"\u00e9\ud83d\ude00"},"n":18446744073709551615}"#
        let value = try JSONValue(parsing: text)
        guard case .object(let members) = value else {
            Issue.record("not an object")
            return
        }
        #expect(members.map(\.key) == ["b", "a", "n"])
        #expect(members[2].value == .number("18446744073709551615"))
        #expect(value.serialized == #"{"b":[1,-2.5e3,true,null],"a":{"s":"é😀"},"n":18446744073709551615}"#)
        #expect(try JSONValue(parsing: value.serialized) == value)
    }

    @Test("malformed numbers and literals are refused")
    func parserErrors() {
        for text in ["01", "1.", "-", "1e", "tru", "[1,]", "{\"a\" 1}", "\"\\x\"", "\"\u{01}\""] {
            #expect(throws: JSONSyntaxError.self, "\(text)") { try JSONValue(parsing: text) }
        }
    }
}
