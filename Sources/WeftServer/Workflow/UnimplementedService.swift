public import WeftRPC

/// A service whose methods are declared in the API but not served yet: every call gets UNIMPLEMENTED naming
/// the method, so clients and reflection see the whole contract while handlers arrive.
public struct UnimplementedService: RPCService {
    public let serviceName: String
    private let methodNames: [(String, RPCKind)]

    public init(serviceName: String, methods: [(String, RPCKind)]) {
        self.serviceName = serviceName
        methodNames = methods
    }

    public var methods: [(method: String, handler: RPCHandler)] {
        methodNames.map { name, kind in
            let error = RPCError(code: .unimplemented, message: "method \(name) of \(serviceName) is not implemented by this server")
            let handler: RPCHandler = switch kind {
            case .unary: .inlineUnary { _, _ in throw error }
            case .serverStreaming: .serverStreaming { _, _, _ in throw error }
            case .clientStreaming: .clientStreaming { _, _ in throw error }
            case .bidirectionalStreaming: .bidirectionalStreaming { _, _, _ in throw error }
            }
            return (name, handler)
        }
    }
}
