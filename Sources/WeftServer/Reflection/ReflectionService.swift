import WeftMessages
public import WeftRPC

/// `grpc.reflection.v1.ServerReflection` or `grpc.reflection.v1alpha.ServerReflection`, over a ``DescriptorIndex``.
///
/// Serve both versions (``allVersions(index:serviceNames:)``): grpcurl up to 1.8.7 and the Python client speak only
/// v1alpha, newer tools try v1 first. The two versions' messages are identical on the wire, so both are decoded as
/// the v1 types.
///
/// Each request gets exactly one response, in order, as soon as it arrives; the stream stays open between requests
/// and ends OK when the client half-closes. Lookups that find nothing answer with an `error_response` (NOT_FOUND)
/// and keep the stream open; a request without a `message_request` ends the stream with INVALID_ARGUMENT.
public struct ReflectionService: RPCService {
    /// Which package of the reflection protocol a service value answers under.
    public enum Version: Sendable, CaseIterable {
        case v1
        case v1alpha

        /// The fully qualified service name of this version.
        public var serviceName: String {
            switch self {
            case .v1: "grpc.reflection.v1.ServerReflection"
            case .v1alpha: "grpc.reflection.v1alpha.ServerReflection"
            }
        }
    }

    /// The protocol version served.
    public let version: Version
    private let index: DescriptorIndex
    private let listedServices: [String]

    /// Creates the service for one protocol version.
    /// - Parameters:
    ///   - index: the descriptors of every proto the server speaks, health and reflection included.
    ///   - serviceNames: what `list_services` returns: every service registered on the server (the router's
    ///     `serviceNames`), the reflection services included.
    public init(version: Version, index: DescriptorIndex, serviceNames: [String]) {
        self.version = version
        self.index = index
        self.listedServices = serviceNames
    }

    /// One service per protocol version, sharing `index`.
    public static func allVersions(index: DescriptorIndex, serviceNames: [String]) -> [ReflectionService] {
        Version.allCases.map { ReflectionService(version: $0, index: index, serviceNames: serviceNames) }
    }

    public var serviceName: String { version.serviceName }

    public var methods: [(method: String, handler: RPCHandler)] {
        let service = self
        return [
            (
                "ServerReflectionInfo",
                .bidirectionalStreaming {
                    (requests: RequestStream<Request>, responses: RPCWriter<Response>, _) in
                    try await service.serve(requests, responses)
                }
            )
        ]
    }

    private typealias Request = Grpc_Reflection_V1_ServerReflectionRequest
    private typealias Response = Grpc_Reflection_V1_ServerReflectionResponse

    private func serve(_ requests: RequestStream<Request>, _ responses: RPCWriter<Response>) async throws {
        // Dependencies already sent on this stream are not sent again; clients cache what they received.
        var sentFiles: Set<String> = []
        for try await request in requests {
            try await responses.write(try respond(to: request, sentFiles: &sentFiles))
        }
    }

    private func respond(to request: Request, sentFiles: inout Set<String>) throws -> Response {
        var response = Response()
        response.validHost = request.host
        response.originalRequest = request
        switch request.messageRequest {
        case nil:
            throw RPCError(code: .invalidArgument, message: "ServerReflectionRequest has no message_request")

        case .fileByFilename(let fileName):
            response.messageResponse =
                files(index.fileWithDependencies(fileName, excluding: sentFiles), &sentFiles)
                ?? notFound("file not found: \(fileName)")

        case .fileContainingSymbol(let symbol):
            response.messageResponse =
                index.file(containingSymbol: symbol).flatMap {
                    files(index.fileWithDependencies($0, excluding: sentFiles), &sentFiles)
                } ?? notFound("symbol not found: \(symbol)")

        case .fileContainingExtension(let query):
            response.messageResponse =
                index.file(containingExtension: query.extensionNumber, of: query.containingType)
                .flatMap { files(index.fileWithDependencies($0, excluding: sentFiles), &sentFiles) }
                ?? notFound("extension \(query.extensionNumber) of \(query.containingType) not found")

        case .allExtensionNumbersOfType(let typeName):
            if let numbers = index.extensionNumbers(of: typeName) {
                var numbersResponse = Grpc_Reflection_V1_ExtensionNumberResponse()
                numbersResponse.baseTypeName = typeName
                numbersResponse.extensionNumber = numbers
                response.messageResponse = .allExtensionNumbersResponse(numbersResponse)
            } else {
                response.messageResponse = notFound("message type not found: \(typeName)")
            }

        case .listServices:
            var list = Grpc_Reflection_V1_ListServiceResponse()
            list.service = listedServices.map { name in
                var service = Grpc_Reflection_V1_ServiceResponse()
                service.name = name
                return service
            }
            response.messageResponse = .listServicesResponse(list)
        }
        return response
    }

    /// A `file_descriptor_response` with `fileNames` in order, recorded as sent; `nil` when there are none.
    private func files(_ fileNames: [String], _ sentFiles: inout Set<String>) -> Response.MessageResponse? {
        guard !fileNames.isEmpty else { return nil }
        var descriptors = Grpc_Reflection_V1_FileDescriptorResponse()
        descriptors.fileDescriptorProto = fileNames.compactMap { index.fileDescriptorProto(named: $0) }
        sentFiles.formUnion(fileNames)
        return .fileDescriptorResponse(descriptors)
    }

    private func notFound(_ message: String) -> Response.MessageResponse {
        var error = Grpc_Reflection_V1_ErrorResponse()
        error.errorCode = Int32(StatusCode.notFound.rawValue)
        error.errorMessage = message
        return .errorResponse(error)
    }
}
