import Testing
import WeftMessages
import WeftRPC

/// Encodes `message`, decodes the bytes as the same type and expects an equal message.
func expectRoundTrip<Message: WireMessage & Hashable>(
    _ message: Message,
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    let bytes = message.wireBytes()
    let decoded = try Message(wireBytes: bytes)
    #expect(decoded == message, sourceLocation: sourceLocation)
    #expect(decoded.wireBytes() == bytes, "re-encoding changed the bytes", sourceLocation: sourceLocation)
}

@Suite("Round trips through protobuf-c")
struct RoundTripTests {
    @Test("Signed integers keep their extremes and negative values")
    func signedIntegers() throws {
        for value: Int32 in [.min, -1, 1, 300, .max] {
            try expectRoundTrip(Google_Protobuf_Int32Value(value: value))
        }
        for value: Int64 in [.min, -1, 1, 1 << 40, .max] {
            try expectRoundTrip(Google_Protobuf_Int64Value(value: value))
        }
        try expectRoundTrip(Weft_V1_PlannedTask(taskID: "t", priority: -5))
        try expectRoundTrip(Weft_Testing_V1_EchoStatus(code: .min, message: "m"))
    }

    @Test("Unsigned integers keep their extremes")
    func unsignedIntegers() throws {
        for value: UInt32 in [1, 127, 128, .max] {
            try expectRoundTrip(Google_Protobuf_UInt32Value(value: value))
        }
        for value: UInt64 in [1, 1 << 35, .max] {
            try expectRoundTrip(Google_Protobuf_UInt64Value(value: value))
        }
        try expectRoundTrip(Weft_Testing_V1_StreamingInputResponse(aggregatedPayloadSize: .max, messageCount: .max))
    }

    @Test("Floating-point values keep their bits, infinities included")
    func floatingPoint() throws {
        for value: Float in [-1.5, .leastNonzeroMagnitude, .greatestFiniteMagnitude, .infinity, -.infinity] {
            try expectRoundTrip(Google_Protobuf_FloatValue(value: value))
        }
        for value: Double in [-2.5, .leastNonzeroMagnitude, .greatestFiniteMagnitude, .infinity, 0.95] {
            try expectRoundTrip(Google_Protobuf_DoubleValue(value: value))
        }
        let nan = try Google_Protobuf_DoubleValue(wireBytes: Google_Protobuf_DoubleValue(value: .nan).wireBytes())
        #expect(nan.value.isNaN)
    }

    @Test("Booleans, UTF-8 strings and bytes with zeros survive")
    func boolStringBytes() throws {
        try expectRoundTrip(Google_Protobuf_BoolValue(value: true))
        try expectRoundTrip(Google_Protobuf_StringValue(value: "héllo, wörld — 日本語 🌍"))
        try expectRoundTrip(Google_Protobuf_BytesValue(value: [0, 0, 1, 0, 255, 0]))
        try expectRoundTrip(Weft_Testing_V1_SimpleResponse(payload: [UInt8](repeating: 0, count: 64)))
    }

    @Test("Repeated strings, bytes, numbers and messages keep their order")
    func repeatedFields() throws {
        try expectRoundTrip(
            Weft_V1_RetryPolicy(
                maxAttempts: 3,
                initialIntervalMs: 1000,
                backoffCoefficient: 2.0,
                maxIntervalMs: 100_000,
                nonRetryableErrorTypes: ["ValueError", "", "ünïcode"]
            )
        )
        try expectRoundTrip(Grpc_Reflection_V1_FileDescriptorResponse(fileDescriptorProto: [[0, 1, 0], [], [0xff]]))
        try expectRoundTrip(
            Grpc_Reflection_V1_ExtensionNumberResponse(baseTypeName: "a.B", extensionNumber: [1, -1, .max, .min, 0])
        )
        try expectRoundTrip(
            Grpc_Reflection_V1_ListServiceResponse(service: [.init(name: "a.A"), .init(), .init(name: "b.B")])
        )
        try expectRoundTrip(Weft_V1_WorkflowFailed(error: "boom", failedTasks: ["a", "b"], cache: .init(reused: 1)))
    }

    @Test("Nested messages, maps and enums in a whole workflow submission survive")
    func nestedMessages() throws {
        let task = Weft_V1_TaskSpec(
            id: "build",
            type: "api",
            complexity: .complex,
            description: "Build the API",
            dependsOn: ["design", "schema"],
            executor: "queue:builders",
            input: #"{"lang": "swift"}"#,
            timeouts: .init(startToCloseMs: 60_000, heartbeatMs: 5_000, scheduleToStartMs: 1),
            retryPolicy: .init(maxAttempts: 1),
            cacheable: .init(value: false)
        )
        let request = Weft_V1_SubmitWorkflowRequest(
            description: "ship it",
            requirements: "fast",
            constraints: ["language": "swift", "framework": "nio", "": "empty key", "empty value": ""],
            tasks: [task, Weft_V1_TaskSpec(id: "design", complexity: .meta), Weft_V1_TaskSpec()],
            options: .init(
                maxParallel: 5,
                mode: .eager,
                failurePolicy: .failFast,
                retryPolicy: .init(backoffCoefficient: 1.5),
                timeouts: .init(),
                cache: .init(disabled: true, reuseThreshold: .init(value: 0.95), similarityThreshold: .init()),
                streamResults: .init(value: true)
            ),
            requestID: "req-1"
        )
        try expectRoundTrip(request)
        try expectRoundTrip(
            Weft_V1_ActivityTask(
                taskToken: [0, 1, 2],
                workflowID: "wf",
                task: task,
                attempt: 2,
                deadlineUnixMs: 1_700_000_000_000,
                reference: .init(taskID: "old", output: "out", cache: .init(outcome: .adapted, similarity: 0.9)),
                constraints: ["a": "1"]
            )
        )
    }

    @Test("A proto3 wrapper set to its zero value stays set, unlike an unset one")
    func wrapperPresence() throws {
        let zero = Weft_V1_CacheOptions(reuseThreshold: .init(value: 0))
        #expect(zero.wireBytes() == [0x12, 0x00])
        #expect(try Weft_V1_CacheOptions(wireBytes: zero.wireBytes()).reuseThreshold == Google_Protobuf_DoubleValue())
        let unset = Weft_V1_CacheOptions()
        #expect(unset.wireBytes().isEmpty)
        #expect(try Weft_V1_CacheOptions(wireBytes: []).reuseThreshold == nil)
        let falseFlag = Weft_V1_ExecutionOptions(streamResults: .init(value: false))
        #expect(try Weft_V1_ExecutionOptions(wireBytes: falseFlag.wireBytes()).streamResults?.value == false)
    }

    @Test("Every member of the WorkflowEvent payload oneof survives")
    func workflowEventOneof() throws {
        let payloads: [Weft_V1_WorkflowEvent.Payload] = [
            .workflowAccepted(.init(plan: [.init(index: 0, tasks: [.init(taskID: "a", priority: 40)])], taskCount: 1)),
            .batchStarted(.init(index: 1, taskIds: ["a", "b"])),
            .taskStarted(.init(taskID: "a", attempt: 1, executor: "sim")),
            .taskHeartbeat(.init(taskID: "a", attempt: 1, details: "50%")),
            .taskCompleted(.init(result: .init(taskID: "a", output: "ok", attempt: 1, durationMs: 12))),
            .taskFailed(.init(taskID: "a", attempt: 2, error: "e", errorType: "T", willRetry: true, retryInMs: 500)),
            .taskSkipped(.init(taskID: "b", reason: "dependency failed")),
            .batchCompleted(.init(index: 1, results: [.init(taskID: "a"), .init(taskID: "b")])),
            .workflowCompleted(.init(durationMs: 10, taskTimeMs: 20, cache: .init(reused: 1, timeSavedMs: 3))),
            .workflowFailed(.init(error: "e", failedTasks: ["a"])),
            .workflowCancelled(.init(reason: "user")),
            .workflowCancelled(.init()),
        ]
        for payload in payloads {
            let event = Weft_V1_WorkflowEvent(
                sequence: 7,
                workflowID: "wf-1",
                timeUnixMs: 1_700_000_000_123,
                progress: .init(completed: 1, total: 3, running: 1),
                payload: payload
            )
            try expectRoundTrip(event)
        }
        try expectRoundTrip(Weft_V1_WorkflowEvent(sequence: 1))
    }

    @Test("Every member of the reflection oneofs survives, nested in the response")
    func reflectionOneofs() throws {
        let requests: [Grpc_Reflection_V1_ServerReflectionRequest.MessageRequest] = [
            .fileByFilename("weft/v1/workflow.proto"),
            .fileContainingSymbol("weft.v1.WorkflowService"),
            .fileContainingExtension(.init(containingType: "a.B", extensionNumber: -3)),
            .allExtensionNumbersOfType("a.B"),
            .listServices(""),
        ]
        let responses: [Grpc_Reflection_V1_ServerReflectionResponse.MessageResponse] = [
            .fileDescriptorResponse(.init(fileDescriptorProto: [[0x0a, 0x00]])),
            .allExtensionNumbersResponse(.init(baseTypeName: "a.B", extensionNumber: [100, 200])),
            .listServicesResponse(.init(service: [.init(name: "grpc.health.v1.Health")])),
            .errorResponse(.init(errorCode: 5, errorMessage: "not found")),
        ]
        for (request, response) in zip(requests, responses + [responses[0]]) {
            let original = Grpc_Reflection_V1_ServerReflectionRequest(host: "localhost", messageRequest: request)
            try expectRoundTrip(original)
            try expectRoundTrip(
                Grpc_Reflection_V1_ServerReflectionResponse(
                    validHost: "localhost",
                    originalRequest: original,
                    messageResponse: response
                )
            )
        }
    }

    @Test("A oneof string or message set to its default is still present")
    func oneofDefaultsArePresent() throws {
        let emptyResult = Weft_V1_CompleteActivityRequest(outcome: .result(""))
        #expect(try Weft_V1_CompleteActivityRequest(wireBytes: emptyResult.wireBytes()).outcome == .result(""))
        let emptyFailure = Weft_V1_CompleteActivityRequest(taskToken: [9], outcome: .failure(.init()))
        try expectRoundTrip(emptyFailure)
        let none = Weft_V1_CompleteActivityRequest(taskToken: [9])
        #expect(try Weft_V1_CompleteActivityRequest(wireBytes: none.wireBytes()).outcome == nil)
    }

    @Test("Messages larger than the arena's stack buffer encode through heap chunks")
    func largeMessages() throws {
        let tasks = (0..<300).map { index in
            Weft_V1_TaskSpec(id: "task-\(index)", description: String(repeating: "x", count: index), dependsOn: ["a"])
        }
        try expectRoundTrip(Weft_V1_SubmitWorkflowRequest(tasks: tasks))
        let payload = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0) }
        try expectRoundTrip(Weft_Testing_V1_SimpleResponse(payload: payload))
        try expectRoundTrip(Google_Protobuf_StringValue(value: String(repeating: "é", count: 10_000)))
    }

    @Test("Messages encode and decode concurrently")
    func concurrentCoding() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<8 {
                group.addTask {
                    for round in 0..<500 {
                        let request = Weft_Testing_V1_SimpleRequest(
                            payload: [UInt8](repeating: UInt8(index), count: 64),
                            responseSize: UInt32(round),
                            responseStatus: .init(code: Int32(index), message: "m")
                        )
                        let decoded = try Weft_Testing_V1_SimpleRequest(wireBytes: request.wireBytes())
                        #expect(decoded == request)
                    }
                }
            }
            try await group.waitForAll()
        }
    }
}
