import WeftMessages
import WeftRPC
import WeftTestSupport

@testable import WeftServer

/// One `ServerReflectionInfo` stream driven in memory: send a request, await its response, half-close.
struct ReflectionCall {
    typealias Request = Grpc_Reflection_V1_ServerReflectionRequest
    typealias Response = Grpc_Reflection_V1_ServerReflectionResponse

    let requests = InMemoryMessageSource()
    let responses = InMemoryMessageSink()
    let task: Task<Void, any Error>

    init(_ service: ReflectionService) {
        let requests = self.requests
        let responses = self.responses
        task = Task {
            try await service.callBidirectional("ServerReflectionInfo", requests: requests, responses: responses)
        }
    }

    /// Sends `request` and waits for its response.
    func ask(_ request: Request) async throws -> Response {
        requests.send(request)
        let responses = self.responses
        return try await withTimeout(.seconds(10), "the reflection response") {
            try await responses.next(as: Response.self)
        }
    }

    /// Sends a request carrying `messageRequest` for host `host`.
    func ask(_ messageRequest: Request.MessageRequest, host: String = "") async throws -> Response {
        var request = Request()
        request.host = host
        request.messageRequest = messageRequest
        return try await ask(request)
    }

    /// Half-closes the request stream and waits for the handler to end.
    func halfClose() async throws {
        requests.finish()
        let task = self.task
        try await withTimeout(.seconds(10), "the end of the reflection stream") { try await task.value }
    }
}

extension Grpc_Reflection_V1_ServerReflectionResponse {
    /// The files of a `file_descriptor_response`, or `nil` for another kind of response.
    var files: [[UInt8]]? {
        guard case .fileDescriptorResponse(let response) = messageResponse else { return nil }
        return response.fileDescriptorProto
    }

    /// The names inside the files of a `file_descriptor_response`.
    var fileNames: [String]? {
        files.map { $0.map(fileDescriptorName) }
    }

    /// The `error_response`, if this is one.
    var error: Grpc_Reflection_V1_ErrorResponse? {
        guard case .errorResponse(let error) = messageResponse else { return nil }
        return error
    }
}

/// The `name` (field 1) of a serialized `FileDescriptorProto`.
func fileDescriptorName(_ bytes: [UInt8]) -> String {
    var reader = ProtoWireReader(bytes)
    while let (field, wireType) = try? reader.nextTag() {
        if field == 1, wireType == .lengthDelimited, let name = try? reader.readString() { return name }
        try? reader.skip(wireType)
    }
    return ""
}
