import Foundation

/// The simulator's settings for one attempt, read from the task's JSON input (see ``SimExecutor`` for the keys).
struct SimParameters: Sendable, Hashable {
    var duration: Duration
    var heartbeatInterval: Duration
    var failAttempts: Int
    var failType: String
    var retryable: Bool
    var stopHeartbeatAfter: Duration?
    var output: String?
    var expand: [TaskSpec]
    var adaptFraction: Double

    /// The default work time of a task by complexity, in milliseconds.
    static func defaultDurationMilliseconds(_ complexity: Complexity) -> Int {
        switch complexity {
        case .simple: 200
        case .medium: 400
        case .complex: 800
        case .meta: 1000
        }
    }

    /// Longest accepted duration, so a typo cannot make a task sleep for centuries (and `Duration` cannot overflow).
    static let maxMilliseconds = 10_000_000_000.0

    /// Reads the input of `task`. Empty input, or valid JSON that is not an object, gives the defaults.
    ///
    /// - Throws: ``ActivityFailure`` of type `InvalidInput`, not retryable, naming the problem.
    init(task: TaskSpec) throws(ActivityFailure) {
        duration = .milliseconds(Self.defaultDurationMilliseconds(task.complexity))
        heartbeatInterval = .milliseconds(100)
        failAttempts = 0
        failType = "SimulatedFailure"
        retryable = true
        stopHeartbeatAfter = nil
        output = nil
        expand = []
        adaptFraction = 0.3

        guard case .object(let object)? = try Self.parse(task.input, taskID: task.id) else { return }
        let reader = Reader(taskID: task.id, object: object)
        if let value = try reader.milliseconds("duration_ms") { duration = value }
        if let value = try reader.milliseconds("heartbeat_ms") {
            guard value > .zero else { throw reader.invalid("\"heartbeat_ms\" must be greater than 0") }
            heartbeatInterval = value
        }
        if let value = try reader.count("fail_attempts") { failAttempts = value }
        if let value = try reader.string("fail_type") {
            guard !value.isEmpty else { throw reader.invalid("\"fail_type\" must not be empty") }
            failType = value
        }
        if let value = try reader.bool("retryable") { retryable = value }
        if let value = try reader.milliseconds("stop_heartbeat_after_ms") { stopHeartbeatAfter = value }
        if let value = try reader.string("output") { output = value }
        if let value = try reader.fraction("adapt_fraction") { adaptFraction = value }
        expand = try reader.tasks("expand")
    }

    /// Parses the input; nil when it is empty.
    private static func parse(_ input: String, taskID: String) throws(ActivityFailure) -> JSON? {
        if input.allSatisfy(\.isWhitespace) { return nil }
        let data = Data(input.utf8)
        guard let json = try? JSONDecoder().decode(JSON.self, from: data) else {
            throw ActivityFailure(
                "sim input of task \"\(taskID)\" is \(JSONSyntax.problem(in: data))", type: "InvalidInput",
                retryable: false)
        }
        return json
    }
}

extension SimParameters {
    /// A JSON value, decoded without Foundation's number/boolean ambiguity.
    enum JSON: Sendable, Hashable, Codable {
        case null
        case bool(Bool)
        case number(Double)
        case string(String)
        case array([JSON])
        case object([String: JSON])

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() {
                self = .null
            } else if let value = try? container.decode(Bool.self) {
                self = .bool(value)
            } else if let value = try? container.decode(Double.self) {
                self = .number(value)
            } else if let value = try? container.decode(String.self) {
                self = .string(value)
            } else if let value = try? container.decode([JSON].self) {
                self = .array(value)
            } else {
                self = .object(try container.decode([String: JSON].self))
            }
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .null: try container.encodeNil()
            case .bool(let value): try container.encode(value)
            case .number(let value):
                // Integers print without a fraction ("3", not "3.0").
                if value.rounded() == value, abs(value) < 1e15 {
                    try container.encode(Int64(value))
                } else {
                    try container.encode(value)
                }
            case .string(let value): try container.encode(value)
            case .array(let value): try container.encode(value)
            case .object(let value): try container.encode(value)
            }
        }

        /// Compact JSON text with sorted keys.
        var text: String {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            // Encoding a tree of plain values cannot fail.
            guard let data = try? encoder.encode(self) else { return "null" }
            return String(decoding: data, as: UTF8.self)
        }

        /// A short rendering for error messages.
        var summary: String {
            let text = self.text
            return text.count > 60 ? String(text.prefix(57)) + "..." : text
        }
    }

    /// Reads typed keys of one JSON object; a key that is missing or null reads as nil.
    struct Reader {
        var taskID: String
        var object: [String: JSON]
        /// Prefix of the key names in messages, e.g. `expand[2].`.
        var context = ""

        func invalid(_ problem: String) -> ActivityFailure {
            ActivityFailure("sim input of task \"\(taskID)\": \(context)\(problem)", type: "InvalidInput", retryable: false)
        }

        private func value(_ key: String) -> JSON? {
            guard let value = object[key], value != .null else { return nil }
            return value
        }

        func number(_ key: String, _ expectation: String) throws(ActivityFailure) -> Double? {
            guard let value = value(key) else { return nil }
            guard case .number(let number) = value, number.isFinite else {
                throw invalid("\"\(key)\" must be \(expectation), got \(value.summary)")
            }
            return number
        }

        func milliseconds(_ key: String) throws(ActivityFailure) -> Duration? {
            let expectation = "a number of milliseconds between 0 and \(Int(SimParameters.maxMilliseconds))"
            guard let number = try number(key, expectation) else { return nil }
            guard number >= 0, number <= SimParameters.maxMilliseconds else {
                throw invalid("\"\(key)\" must be \(expectation), got \(JSON.number(number).summary)")
            }
            return .milliseconds(number)
        }

        func count(_ key: String) throws(ActivityFailure) -> Int? {
            let expectation = "a whole number of at least 0"
            guard let number = try number(key, expectation) else { return nil }
            guard number >= 0, number.rounded() == number, number < 1e9 else {
                throw invalid("\"\(key)\" must be \(expectation), got \(JSON.number(number).summary)")
            }
            return Int(number)
        }

        func fraction(_ key: String) throws(ActivityFailure) -> Double? {
            let expectation = "a number between 0 and 1"
            guard let number = try number(key, expectation) else { return nil }
            guard (0...1).contains(number) else {
                throw invalid("\"\(key)\" must be \(expectation), got \(JSON.number(number).summary)")
            }
            return number
        }

        func string(_ key: String) throws(ActivityFailure) -> String? {
            guard let value = value(key) else { return nil }
            guard case .string(let string) = value else {
                throw invalid("\"\(key)\" must be a string, got \(value.summary)")
            }
            return string
        }

        func bool(_ key: String) throws(ActivityFailure) -> Bool? {
            guard let value = value(key) else { return nil }
            guard case .bool(let bool) = value else {
                throw invalid("\"\(key)\" must be true or false, got \(value.summary)")
            }
            return bool
        }

        func strings(_ key: String) throws(ActivityFailure) -> [String]? {
            guard let value = value(key) else { return nil }
            guard case .array(let items) = value else {
                throw invalid("\"\(key)\" must be an array of strings, got \(value.summary)")
            }
            var strings: [String] = []
            for item in items {
                guard case .string(let string) = item else {
                    throw invalid("\"\(key)\" must be an array of strings, got an element \(item.summary)")
                }
                strings.append(string)
            }
            return strings
        }

        /// Reads an array of task objects (`expand`).
        func tasks(_ key: String) throws(ActivityFailure) -> [TaskSpec] {
            guard let value = value(key) else { return [] }
            guard case .array(let items) = value else {
                throw invalid("\"\(key)\" must be an array of task objects, got \(value.summary)")
            }
            var tasks: [TaskSpec] = []
            for (index, item) in items.enumerated() {
                guard case .object(let fields) = item else {
                    throw invalid("\"\(key)[\(index)]\" must be a task object, got \(item.summary)")
                }
                let reader = Reader(taskID: taskID, object: fields, context: "\(context)\(key)[\(index)].")
                tasks.append(try reader.task())
            }
            return tasks
        }

        /// Reads this object as a task: `id` (required), `type`, `complexity`, `description`, `depends_on`,
        /// `input` (a string as is, any other JSON value as its JSON text) and `executor`.
        func task() throws(ActivityFailure) -> TaskSpec {
            guard let id = try string("id"), !id.isEmpty else { throw invalid("\"id\" is required") }
            var complexity = Complexity.medium
            if let name = try string("complexity") {
                guard let parsed = Complexity(rawValue: name.uppercased()) else {
                    throw invalid("\"complexity\" must be SIMPLE, MEDIUM, COMPLEX or META, got \"\(name)\"")
                }
                complexity = parsed
            }
            var input = ""
            if let value = value("input") {
                if case .string(let string) = value { input = string } else { input = value.text }
            }
            return TaskSpec(
                id: id, type: try string("type") ?? "", complexity: complexity,
                description: try string("description") ?? "", dependsOn: try strings("depends_on") ?? [],
                executor: try string("executor") ?? "", input: input)
        }
    }
}
