/// Names one attempt of one task, opaque to workers: any process can route it to the workflow's owner, and the
/// random nonce makes a token of an earlier attempt (or an earlier run of the same ids) never match a later one.
///
/// Wire form (version 1): the version byte, the workflow id and the task id (each a big-endian UInt16 length and
/// UTF-8 bytes), the attempt (big-endian UInt32) and 16 nonce bytes.
public struct TaskToken: Sendable, Hashable, CustomStringConvertible {
    public static let version: UInt8 = 1

    public var workflowID: String
    public var taskID: String
    public var attempt: Int
    public var nonce: [UInt8]

    public init(workflowID: String, taskID: String, attempt: Int, nonce: [UInt8]) {
        self.workflowID = workflowID
        self.taskID = taskID
        self.attempt = attempt
        self.nonce = nonce
    }

    /// A token for a new attempt, with a fresh random nonce.
    public static func fresh(workflowID: String, taskID: String, attempt: Int) -> TaskToken {
        var generator = SystemRandomNumberGenerator()
        let nonce = (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return TaskToken(workflowID: workflowID, taskID: taskID, attempt: attempt, nonce: nonce)
    }

    /// Decodes a token; throws ``EngineError`` INVALID_ARGUMENT naming the problem.
    public init(bytes: [UInt8]) throws {
        var reader = Reader(bytes: bytes)
        guard let version = reader.byte() else { throw Self.malformed("it is empty") }
        guard version == Self.version else { throw Self.malformed("version \(version) is not \(Self.version)") }
        guard let workflowID = reader.string(), let taskID = reader.string(), let attempt = reader.uint32(),
            let nonce = reader.take(16)
        else { throw Self.malformed("it is truncated") }
        guard reader.atEnd else { throw Self.malformed("it has trailing bytes") }
        self.init(workflowID: workflowID, taskID: taskID, attempt: Int(attempt), nonce: nonce)
    }

    /// The wire form.
    public var bytes: [UInt8] {
        var out: [UInt8] = [Self.version]
        for text in [workflowID, taskID] {
            let utf8 = Array(text.utf8.prefix(Int(UInt16.max)))
            out += [UInt8(utf8.count >> 8), UInt8(utf8.count & 0xff)]
            out += utf8
        }
        let attempt = UInt32(clamping: attempt)
        out += [UInt8(attempt >> 24), UInt8((attempt >> 16) & 0xff), UInt8((attempt >> 8) & 0xff), UInt8(attempt & 0xff)]
        out += nonce
        return out
    }

    /// For messages: the attempt it names, never the nonce.
    public var description: String { "task \(taskID.debugDescription) attempt \(attempt) of workflow \(workflowID)" }

    private static func malformed(_ why: String) -> EngineError {
        EngineError(.invalidArgument, "task_token is malformed: \(why)")
    }

    private struct Reader {
        let bytes: [UInt8]
        var offset = 0

        var atEnd: Bool { offset == bytes.count }

        mutating func take(_ count: Int) -> [UInt8]? {
            guard bytes.count - offset >= count else { return nil }
            defer { offset += count }
            return Array(bytes[offset..<offset + count])
        }

        mutating func byte() -> UInt8? { take(1)?.first }

        mutating func uint32() -> UInt32? {
            take(4).map { $0.reduce(0) { $0 << 8 | UInt32($1) } }
        }

        mutating func string() -> String? {
            guard let length = take(2), let utf8 = take(Int(length[0]) << 8 | Int(length[1])) else { return nil }
            return String(validating: utf8, as: UTF8.self)
        }
    }
}
