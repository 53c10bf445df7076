import Testing
import WeftCLI
import WeftMessages

@Suite("Decoding SubmitWorkflowRequest from the proto3 JSON mapping")
struct ProtoJSONDecodingTests {
    private func decode(_ text: String) throws -> Weft_V1_SubmitWorkflowRequest {
        try Weft_V1_SubmitWorkflowRequest(protoJSONText: text)
    }

    private func error(_ text: String) -> ProtoJSONError? {
        do {
            _ = try decode(text)
            return nil
        } catch let error as ProtoJSONError {
            return error
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    @Test("snake_case and lowerCamelCase field names decode to the same message")
    func fieldNames() throws {
        let snake = try decode(
            """
            {"request_id": "r1", "tasks": [{"id": "a", "depends_on": ["b"], "retry_policy": {"max_attempts": 2,
             "initial_interval_ms": 100, "non_retryable_error_types": ["X"]}}, {"id": "b"}],
             "options": {"max_parallel": 3, "failure_policy": "FAIL_FAST", "stream_results": false}}
            """)
        let camel = try decode(
            """
            {"requestId": "r1", "tasks": [{"id": "a", "dependsOn": ["b"], "retryPolicy": {"maxAttempts": 2,
             "initialIntervalMs": 100, "nonRetryableErrorTypes": ["X"]}}, {"id": "b"}],
             "options": {"maxParallel": 3, "failurePolicy": "FAILURE_POLICY_FAIL_FAST", "streamResults": false}}
            """)
        #expect(snake == camel)
        #expect(snake.requestID == "r1")
        #expect(snake.tasks[0].dependsOn == ["b"])
        #expect(snake.tasks[0].retryPolicy?.nonRetryableErrorTypes == ["X"])
        #expect(snake.options?.maxParallel == 3)
        #expect(snake.options?.failurePolicy == .failFast)
        #expect(snake.options?.streamResults?.value == false)
    }

    @Test("enums are read by full name, by short name in any case, and by number")
    func enums() throws {
        let request = try decode(
            """
            {"tasks": [{"id": "a", "complexity": "COMPLEXITY_COMPLEX"}, {"id": "b", "complexity": "META"},
                       {"id": "c", "complexity": "simple"}, {"id": "d", "complexity": 2}, {"id": "e", "complexity": 9}],
             "options": {"mode": "SCHEDULING_MODE_BATCH"}}
            """)
        #expect(request.tasks.map(\.complexity) == [.complex, .meta, .simple, .medium, .unrecognized(9)])
        #expect(request.options?.mode == .batch)
    }

    @Test("an unknown enum name is an error naming its path and the accepted values")
    func unknownEnum() throws {
        let error = try #require(
            self.error(
                """
                {"tasks": [{"id": "a"}, {"id": "b"}, {"id": "c", "complexity": "HUGE"}]}
                """))
        #expect(error.path == "tasks[2].complexity")
        #expect(error.description.hasPrefix("tasks[2].complexity: unknown value \"HUGE\""))
        #expect(error.message.contains("COMPLEXITY_META"))
    }

    @Test("64-bit integers are read from numbers and from strings; integral exponents are accepted")
    func integers() throws {
        let request = try decode(
            """
            {"tasks": [{"id": "a", "timeouts": {"start_to_close_ms": "18446744073709551615", "heartbeat_ms": 1e3,
             "schedule_to_start_ms": 5.0}}]}
            """)
        let timeouts = try #require(request.tasks.first?.timeouts)
        #expect(timeouts.startToCloseMs == UInt64.max)
        #expect(timeouts.heartbeatMs == 1000)
        #expect(timeouts.scheduleToStartMs == 5)
    }

    @Test("integers out of range, negative for unsigned fields, or fractional are errors")
    func badIntegers() {
        #expect(
            error(#"{"options": {"max_parallel": 4294967296}}"#)?.description
                == "options.max_parallel: 4294967296 is out of range for uint32")
        #expect(
            error(#"{"options": {"max_parallel": -1}}"#)?.description
                == "options.max_parallel: -1 is out of range for uint32")
        #expect(
            error(#"{"options": {"max_parallel": 2.5}}"#)?.description
                == "options.max_parallel: 2.5 is not an integer (uint32)")
        #expect(
            error(#"{"options": {"max_parallel": "five"}}"#)?.description
                == #"options.max_parallel: expected an integer (uint32), got string "five""#)
    }

    @Test("wrapper fields are plain values; null or absence leaves them unset")
    func wrappers() throws {
        let request = try decode(
            """
            {"tasks": [{"id": "a", "cacheable": false}, {"id": "b", "cacheable": null}, {"id": "c"}],
             "options": {"cache": {"reuse_threshold": 0.97, "similarity_threshold": "0.8"}}}
            """)
        #expect(request.tasks[0].cacheable == Google_Protobuf_BoolValue(value: false))
        #expect(request.tasks[1].cacheable == nil)
        #expect(request.tasks[2].cacheable == nil)
        #expect(request.options?.cache?.reuseThreshold?.value == 0.97)
        #expect(request.options?.cache?.similarityThreshold?.value == 0.8)
        #expect(
            error(#"{"tasks": [{"id": "a", "cacheable": "no"}]}"#)?.description
                == #"tasks[0].cacheable: expected true or false, got string "no""#)
    }

    @Test("doubles accept NaN and Infinity as strings and reject numbers out of range")
    func doubles() throws {
        let request = try decode(#"{"options": {"retry_policy": {"backoff_coefficient": "Infinity"}}}"#)
        #expect(request.options?.retryPolicy?.backoffCoefficient == .infinity)
        #expect(
            error(#"{"options": {"retry_policy": {"backoff_coefficient": 1e999}}}"#)?.path
                == "options.retry_policy.backoff_coefficient")
    }

    @Test("constraints are an object of strings")
    func constraints() throws {
        let request = try decode(#"{"constraints": {"language": "python", "framework": "fastapi"}}"#)
        #expect(request.constraints == ["language": "python", "framework": "fastapi"])
        #expect(
            error(#"{"constraints": {"language": "python", "version": 3.11}}"#)?.description
                == "constraints.version: expected a string, got number 3.11")
        #expect(
            error(#"{"constraints": ["python"]}"#)?.description
                == "constraints: expected an object of strings, got array")
    }

    @Test("unknown fields are errors, with a suggestion for a near miss")
    func unknownFields() {
        #expect(
            error(#"{"tasks": [{"id": "a", "dependson": []}]}"#)?.description
                == #"tasks[0].dependson: unknown field; did you mean "depends_on"?"#)
        #expect(
            error(#"{"tasks": [{"id": "a", "complexty": "SIMPLE"}]}"#)?.description
                == #"tasks[0].complexty: unknown field; did you mean "complexity"?"#)
        #expect(error(#"{"mode": "BATCH"}"#)?.description == "mode: unknown field")
    }

    @Test("a field given under both names, or twice, is an error")
    func duplicates() {
        #expect(
            error(#"{"request_id": "a", "requestId": "b"}"#)?.description
                == "request_id: field given twice, as request_id and requestId")
        #expect(
            error(#"{"description": "a", "description": "b"}"#)?.description
                == "description: field given more than once")
    }

    @Test("wrong JSON kinds name what was expected and what was found")
    func wrongKinds() {
        #expect(error(#"{"tasks": {"id": "a"}}"#)?.description == "tasks: expected an array of objects, got object")
        #expect(
            error(#"{"tasks": [{"id": "a", "depends_on": "b"}]}"#)?.description
                == #"tasks[0].depends_on: expected an array of strings, got string "b""#)
        #expect(error(#"{"tasks": [null]}"#)?.description == "tasks[0]: null is not allowed in an array")
        #expect(error(#"{"tasks": [{"id": 7}]}"#)?.description == "tasks[0].id: expected a string, got number 7")
        #expect(error(#"[1]"#)?.description == "expected an object, got array")
    }

    @Test("an object given as a task's input is refused with the string form to use instead")
    func inputObject() throws {
        let error = try #require(self.error(#"{"tasks": [{"id": "a", "input": {"duration_ms": 400}}]}"#))
        #expect(error.path == "tasks[0].input")
        #expect(error.message.contains("write it as a string"))
        let request = try decode(#"{"tasks": [{"id": "a", "input": "{\"duration_ms\": 400}"}]}"#)
        #expect(request.tasks[0].input == #"{"duration_ms": 400}"#)
    }

    @Test("null message fields stay unset; a null document is the default message")
    func nulls() throws {
        #expect(try decode(#"{"options": null, "tasks": null}"#) == Weft_V1_SubmitWorkflowRequest())
        #expect(try Weft_V1_SubmitWorkflowRequest(protoJSON: .null) == Weft_V1_SubmitWorkflowRequest())
    }

    @Test("JSON syntax errors give the line and column")
    func syntax() {
        #expect(
            error("{\n  \"tasks\": [\n    {\"id\": \"a\",}\n  ]\n}")?.description
                == "invalid JSON: line 3, column 16: expected a member name in quotes, found '}'")
        #expect(
            error("{\"description\": \"unterminated}")?.description
                == "invalid JSON: line 1, column 17: unterminated string")
        #expect(error("{} {}")?.description == "invalid JSON: line 1, column 4: unexpected '{' after the JSON value")
    }

    @Test("paths quote keys that are not plain identifiers")
    func quotedKeys() {
        #expect(
            error(#"{"constraints": {"my key": 1}}"#)?.description
                == #"constraints["my key"]: expected a string, got number 1"#)
    }

    @Test("a request written as JSON decodes back to the same request")
    func roundTrip() throws {
        var task = Weft_V1_TaskSpec(
            id: "login", type: "api", complexity: .medium, description: "POST /login",
            dependsOn: ["schema"], executor: "sim", input: #"{"duration_ms":450}"#)
        task.cacheable = Google_Protobuf_BoolValue(value: false)
        task.timeouts = Weft_V1_Timeouts(startToCloseMs: UInt64.max, heartbeatMs: 0, scheduleToStartMs: 0)
        var request = Weft_V1_SubmitWorkflowRequest()
        request.description = "auth \"service\"\n"
        request.constraints = ["language": "python"]
        request.tasks = [task, Weft_V1_TaskSpec(id: "schema")]
        var options = Weft_V1_ExecutionOptions()
        options.mode = .eager
        options.cache = Weft_V1_CacheOptions(disabled: true, reuseThreshold: Google_Protobuf_DoubleValue(value: 0.5))
        request.options = options
        request.requestID = "r-1"
        #expect(try Weft_V1_SubmitWorkflowRequest(protoJSONText: request.protoJSONText) == request)
    }
}
