/// Reassembles gRPC length-prefixed messages (1-byte flag, 4-byte big-endian length, payload) from DATA
/// frames whose boundaries have no relation to message boundaries.
///
/// The length is checked against the limit as soon as the prefix is complete, before any payload is buffered.
public struct MessageDeframer: Sendable {
    /// One complete message.
    public struct Message: Sendable, Equatable {
        public var compressed: Bool
        public var bytes: [UInt8]
    }

    /// Why framing failed; each maps to one gRPC status.
    public enum Failure: Error, Equatable, Sendable {
        /// The flag byte was neither 0 nor 1 (INTERNAL).
        case invalidFlag(UInt8)
        /// The length prefix exceeds the limit (RESOURCE_EXHAUSTED).
        case tooLarge(length: Int, limit: Int)
    }

    public let maxMessageSize: Int
    private var prefix: [UInt8] = []
    private var payload: [UInt8] = []
    private var expected = -1
    private var compressed = false

    public init(maxMessageSize: Int) {
        self.maxMessageSize = maxMessageSize
    }

    /// True when some bytes of an unfinished message are buffered (END_STREAM now would be malformed).
    public var hasPartialMessage: Bool { !prefix.isEmpty || expected >= 0 }

    /// Feeds bytes; calls `onMessage` for each message completed by them.
    public mutating func process(
        _ bytes: UnsafeRawBufferPointer, onMessage: (Message) throws -> Void
    ) throws {
        var index = 0
        let count = bytes.count
        while index < count {
            if expected < 0 {
                // Fast path: a whole prefix in this chunk and nothing pending.
                if prefix.isEmpty, count - index >= 5 {
                    try startMessage(bytes[index], bytes[index + 1], bytes[index + 2], bytes[index + 3], bytes[index + 4])
                    index += 5
                } else {
                    prefix.append(bytes[index])
                    index += 1
                    if prefix.count == 5 {
                        try startMessage(prefix[0], prefix[1], prefix[2], prefix[3], prefix[4])
                        prefix.removeAll(keepingCapacity: true)
                    }
                }
                if expected == 0 {
                    try finishMessage(onMessage)
                }
                continue
            }
            let take = min(expected - payload.count, count - index)
            payload.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[index..<(index + take)]))
            index += take
            if payload.count == expected {
                try finishMessage(onMessage)
            }
        }
    }

    private mutating func startMessage(_ flag: UInt8, _ b1: UInt8, _ b2: UInt8, _ b3: UInt8, _ b4: UInt8) throws {
        guard flag <= 1 else { throw Failure.invalidFlag(flag) }
        let length = Int(b1) << 24 | Int(b2) << 16 | Int(b3) << 8 | Int(b4)
        guard length <= maxMessageSize else { throw Failure.tooLarge(length: length, limit: maxMessageSize) }
        compressed = flag == 1
        expected = length
        payload = []
        payload.reserveCapacity(length)
    }

    private mutating func finishMessage(_ onMessage: (Message) throws -> Void) throws {
        let message = Message(compressed: compressed, bytes: payload)
        payload = []
        expected = -1
        try onMessage(message)
    }
}

/// Writes the 5-byte gRPC prefix and a message into one contiguous array.
@inlinable
public func grpcFramed(_ message: [UInt8], compressed: Bool = false) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: 5)
    out.reserveCapacity(5 + message.count)
    out[0] = compressed ? 1 : 0
    let length = UInt32(message.count)
    out[1] = UInt8(truncatingIfNeeded: length >> 24)
    out[2] = UInt8(truncatingIfNeeded: length >> 16)
    out[3] = UInt8(truncatingIfNeeded: length >> 8)
    out[4] = UInt8(truncatingIfNeeded: length)
    out.append(contentsOf: message)
    return out
}
