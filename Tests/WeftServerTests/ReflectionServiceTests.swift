import Testing
import WeftMessages
import WeftRPC
import WeftTestSupport

@testable import WeftServer

@Suite("grpc.reflection ServerReflectionInfo")
struct ReflectionServiceTests {
    static let registered = [
        "weft.v1.WorkflowService", "weft.v1.WorkerService", "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection",
    ]

    let index: DescriptorIndex
    let service: ReflectionService

    init() throws {
        index = try DescriptorIndex.embedded()
        service = ReflectionService(version: .v1, index: index, serviceNames: Self.registered)
    }

    @Test("Both protocol versions are served under their own names by the same logic")
    func versions() async throws {
        let services = ReflectionService.allVersions(index: index, serviceNames: Self.registered)
        #expect(
            services.map(\.serviceName).sorted() == [
                "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection",
            ]
        )
        for service in services {
            #expect(service.methods.map(\.method) == ["ServerReflectionInfo"])
            #expect(try service.handler(for: "ServerReflectionInfo").kind == .bidirectionalStreaming)
            let call = ReflectionCall(service)
            let response = try await call.ask(.listServices(""))
            guard case .listServicesResponse(let list) = response.messageResponse else {
                Issue.record("expected a list_services_response from \(service.serviceName)")
                continue
            }
            #expect(list.service.map(\.name) == Self.registered)
            try await call.halfClose()
        }
    }

    @Test("list_services returns every registered service and echoes the request and host")
    func listServices() async throws {
        let call = ReflectionCall(service)
        let response = try await call.ask(.listServices("*"), host: "localhost:50051")
        guard case .listServicesResponse(let list) = response.messageResponse else {
            Issue.record("expected a list_services_response, got \(String(describing: response.messageResponse))")
            return
        }
        #expect(list.service.map(\.name) == Self.registered)
        #expect(response.validHost == "localhost:50051")
        #expect(response.originalRequest?.host == "localhost:50051")
        #expect(response.originalRequest?.messageRequest == .listServices("*"))
        try await call.halfClose()
    }

    @Test("file_by_filename serves every file and every dependency any file names, byte for byte")
    func fileByFilename() async throws {
        var names = Set(index.fileNames)
        for file in index.fileNames { names.formUnion(index.dependencies(ofFile: file) ?? []) }
        #expect(names.contains("grpc/health/v1/health.proto"))
        #expect(names.contains("google/protobuf/wrappers.proto"))

        for name in names.sorted() {
            // A fresh stream each time, so no file counts as already sent.
            let call = ReflectionCall(service)
            let response = try await call.ask(.fileByFilename(name))
            let files = try #require(response.files, "no file_descriptor_response for \(name)")
            #expect(files.first == index.fileDescriptorProto(named: name))
            #expect(files.first.map(fileDescriptorName) == name)
            #expect(response.validHost == "")
            try await call.halfClose()
        }
    }

    @Test("file_by_filename of an unknown file answers NOT_FOUND and the stream stays open")
    func unknownFile() async throws {
        let call = ReflectionCall(service)
        let response = try await call.ask(.fileByFilename("nope/none.proto"))
        #expect(response.error?.errorCode == 5)
        #expect(response.error?.errorMessage.contains("nope/none.proto") == true)
        #expect(
            try await call.ask(.fileByFilename("grpc/health/v1/health.proto")).fileNames == [
                "grpc/health/v1/health.proto"
            ]
        )
        try await call.halfClose()
    }

    @Test(
        "file_containing_symbol finds the file of each kind of symbol",
        arguments: [
            ("grpc.health.v1.Health", "grpc/health/v1/health.proto"),  // service
            ("weft.v1.WorkflowService.SubmitWorkflow", "weft/v1/workflow.proto"),  // method
            ("grpc.health.v1.Health.Watch", "grpc/health/v1/health.proto"),  // method
            ("weft.v1.TaskSpec", "weft/v1/workflow.proto"),  // message
            ("weft.v1.SubmitWorkflowRequest.ConstraintsEntry", "weft/v1/workflow.proto"),  // nested message
            ("weft.v1.Complexity", "weft/v1/workflow.proto"),  // enum
            ("weft.v1.COMPLEXITY_META", "weft/v1/workflow.proto"),  // enum value
            ("grpc.health.v1.HealthCheckResponse.ServingStatus", "grpc/health/v1/health.proto"),  // nested enum
            ("grpc.health.v1.HealthCheckResponse.SERVING", "grpc/health/v1/health.proto"),  // nested enum value
            ("weft.v1.TaskSpec.depends_on", "weft/v1/workflow.proto"),  // field
            (
                "grpc.reflection.v1alpha.ServerReflectionRequest.message_request",
                "grpc/reflection/v1alpha/reflection.proto"
            ),  // oneof
            ("weft.testing.v1.TestService.StreamingOutputCall", "weft/testing/v1/testing.proto"),
        ]
    )
    func fileContainingSymbol(symbol: String, file: String) async throws {
        let call = ReflectionCall(service)
        let response = try await call.ask(.fileContainingSymbol(symbol))
        let names = try #require(response.fileNames, "no file_descriptor_response for \(symbol)")
        #expect(names.first == file)
        #expect(response.files?.first == index.fileDescriptorProto(named: file))
        try await call.halfClose()
    }

    @Test("The containing file comes first, then dependencies not yet sent on this stream")
    func dependenciesSentOnce() async throws {
        let call = ReflectionCall(service)
        let worker = try await call.ask(.fileContainingSymbol("weft.v1.WorkerService"))
        #expect(
            worker.fileNames == ["weft/v1/worker.proto", "weft/v1/workflow.proto", "google/protobuf/wrappers.proto"]
        )

        // Already sent: the requested file is sent again, its dependencies are not.
        let workflow = try await call.ask(.fileContainingSymbol("weft.v1.TaskSpec"))
        #expect(workflow.fileNames == ["weft/v1/workflow.proto"])
        let wrappers = try await call.ask(.fileByFilename("google/protobuf/wrappers.proto"))
        #expect(wrappers.fileNames == ["google/protobuf/wrappers.proto"])
        try await call.halfClose()

        // Another stream starts afresh.
        let fresh = ReflectionCall(service)
        #expect(
            try await fresh.ask(.fileContainingSymbol("weft.v1.TaskSpec")).fileNames == [
                "weft/v1/workflow.proto", "google/protobuf/wrappers.proto",
            ]
        )
        try await fresh.halfClose()
    }

    @Test("An unknown symbol answers NOT_FOUND in an error_response and the stream stays open")
    func unknownSymbol() async throws {
        let call = ReflectionCall(service)
        let response = try await call.ask(.fileContainingSymbol("nope.X"))
        #expect(response.error?.errorCode == 5)
        #expect(response.error?.errorMessage.contains("nope.X") == true)
        #expect(response.originalRequest?.messageRequest == .fileContainingSymbol("nope.X"))

        let next = try await call.ask(.fileContainingSymbol("grpc.health.v1.Health"))
        #expect(next.fileNames?.first == "grpc/health/v1/health.proto")
        try await call.halfClose()
    }

    @Test("Extension queries: numbers of a known type are listed, unknown types and extensions are NOT_FOUND")
    func extensions() async throws {
        let call = ReflectionCall(service)
        let numbers = try await call.ask(.allExtensionNumbersOfType("google.protobuf.BoolValue"))
        guard case .allExtensionNumbersResponse(let list) = numbers.messageResponse else {
            Issue.record("expected an all_extension_numbers_response")
            return
        }
        #expect(list.baseTypeName == "google.protobuf.BoolValue")
        #expect(list.extensionNumber == [])

        #expect(try await call.ask(.allExtensionNumbersOfType("nope.X")).error?.errorCode == 5)

        var query = Grpc_Reflection_V1_ExtensionRequest()
        query.containingType = "weft.v1.TaskSpec"
        query.extensionNumber = 1000
        #expect(try await call.ask(.fileContainingExtension(query)).error?.errorCode == 5)
        try await call.halfClose()
    }

    @Test("Each request is answered at once, in order, while the stream stays open")
    func answersInOrder() async throws {
        let call = ReflectionCall(service)
        let symbols = ["grpc.health.v1.Health", "nope.Y", "weft.v1.WorkflowService"]
        for symbol in symbols {
            let response = try await call.ask(.fileContainingSymbol(symbol))
            #expect(response.originalRequest?.messageRequest == .fileContainingSymbol(symbol))
        }
        #expect(call.responses.messages.count == symbols.count)
        try await call.halfClose()
    }

    @Test("A client that sends one request and half-closes at once still gets its answer, then OK")
    func halfCloseImmediately() async throws {
        var request = ReflectionCall.Request()
        request.messageRequest = .listServices("")
        let requests = InMemoryMessageSource([request])
        let responses = InMemoryMessageSink()
        try await service.callBidirectional("ServerReflectionInfo", requests: requests, responses: responses)
        #expect(responses.messages.count == 1)
    }

    @Test("A request without a message_request ends the stream with INVALID_ARGUMENT")
    func emptyRequest() async throws {
        let call = ReflectionCall(service)
        call.requests.send(ReflectionCall.Request())
        let error = await #expect(throws: RPCError.self) { try await call.task.value }
        #expect(error?.code == .invalidArgument)
    }
}
