/// What a handler knows about the call it serves.
public struct ServerContext: Sendable {
    /// The method being called.
    public var method: MethodDescriptor
    /// The client's custom metadata (request headers that are not reserved).
    public var metadata: Metadata
    /// When the client stops waiting, from `grpc-timeout`; `nil` when it sent none.
    public var deadline: ContinuousClock.Instant?
    /// The remote address, e.g. `ipv4:127.0.0.1:54321`.
    public var peer: String

    public init(method: MethodDescriptor, metadata: Metadata = Metadata(), deadline: ContinuousClock.Instant? = nil,
                peer: String = "") {
        self.method = method
        self.metadata = metadata
        self.deadline = deadline
        self.peer = peer
    }
}
