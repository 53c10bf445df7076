/// A command the operator allows tasks to run as `exec:NAME`.
///
/// `argv` is used as is: no shell parses it and no task data is ever added to it (the task reaches the process as
/// JSON on stdin). A first element without a slash is looked up in the child's `PATH`. The child gets only `PATH`
/// (from weftd's environment unless `environment` sets it), `WEFT_WORKFLOW_ID`, `WEFT_TASK_ID`, `WEFT_ATTEMPT` and
/// `environment`, unless `inheritEnvironment` passes weftd's whole environment.
///
/// In a config file (``loadConfig(path:)``) the keys are `name`, `argv`, `working_directory`, `environment` and
/// `inherit_environment`.
public struct ExecCommand: Sendable, Hashable, Codable {
    /// The name tasks use, as `exec:NAME`: letters, digits, `.`, `_` and `-`.
    public var name: String
    /// The program and its arguments; not empty.
    public var argv: [String]
    /// The child's working directory; `nil` keeps weftd's.
    public var workingDirectory: String?
    /// Variables set for the child; they override inherited ones, `PATH` included.
    public var environment: [String: String]
    /// Pass weftd's whole environment to the child. Default false: only `PATH` (and `environment`).
    public var inheritEnvironment: Bool

    /// Makes a command; ``validationProblem`` tells whether it is usable.
    public init(
        name: String, argv: [String], workingDirectory: String? = nil, environment: [String: String] = [:],
        inheritEnvironment: Bool = false
    ) {
        self.name = name
        self.argv = argv
        self.workingDirectory = workingDirectory
        self.environment = environment
        self.inheritEnvironment = inheritEnvironment
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name
        case argv
        case workingDirectory = "working_directory"
        case environment
        case inheritEnvironment = "inherit_environment"
    }

    /// Decodes a command from its config-file form; unknown keys and invalid values are errors.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try ConfigKeys.rejectUnknown(in: decoder, allowed: CodingKeys.allCases.map(\.rawValue))
        name = try container.decode(String.self, forKey: .name)
        argv = try container.decode([String].self, forKey: .argv)
        workingDirectory = try container.decodeIfPresent(String.self, forKey: .workingDirectory)
        environment = try container.decodeIfPresent([String: String].self, forKey: .environment) ?? [:]
        inheritEnvironment = try container.decodeIfPresent(Bool.self, forKey: .inheritEnvironment) ?? false
        if let problem = validationProblem {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: problem))
        }
    }

    /// Encodes the command in its config-file form.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(argv, forKey: .argv)
        try container.encodeIfPresent(workingDirectory, forKey: .workingDirectory)
        if !environment.isEmpty { try container.encode(environment, forKey: .environment) }
        if inheritEnvironment { try container.encode(inheritEnvironment, forKey: .inheritEnvironment) }
    }

    /// What makes this command unusable, or nil when it is fine.
    public var validationProblem: String? {
        if name.isEmpty { return "\"name\" must not be empty" }
        if !name.unicodeScalars.allSatisfy(Self.isNameCharacter) {
            return "\"name\" \"\(name)\" may hold only letters, digits, '.', '_' and '-'"
        }
        guard let program = argv.first else { return "\"argv\" of \"\(name)\" must not be empty" }
        if program.isEmpty { return "\"argv[0]\" of \"\(name)\" must not be empty" }
        if argv.contains(where: { $0.contains("\0") }) { return "\"argv\" of \"\(name)\" contains a NUL character" }
        if let directory = workingDirectory {
            if directory.isEmpty { return "\"working_directory\" of \"\(name)\" must not be empty" }
            if directory.contains("\0") { return "\"working_directory\" of \"\(name)\" contains a NUL character" }
        }
        for (key, value) in environment.sorted(by: { $0.key < $1.key }) {
            if key.isEmpty || key.contains("=") || key.contains("\0") {
                return "\"environment\" of \"\(name)\" has an invalid variable name \"\(key)\""
            }
            if value.contains("\0") {
                return "\"environment\" variable \"\(key)\" of \"\(name)\" contains a NUL character"
            }
        }
        return nil
    }

    private static func isNameCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", ".", "_", "-": true
        default: false
        }
    }

    /// Reads the commands of a config file:
    ///
    /// ```json
    /// {"commands": [{"name": "build", "argv": ["/usr/bin/make", "-C", "/srv/app"],
    ///                "working_directory": "/srv/app", "environment": {"LANG": "C.UTF-8"}}]}
    /// ```
    ///
    /// - Throws: ``ExecConfigError`` naming the file and the problem: unreadable file, invalid JSON, a missing or
    ///   mistyped key (with its path, e.g. `commands[1].argv`), an unknown key, an invalid command, a duplicate name.
    public static func loadConfig(path: String) throws -> [ExecCommand] {
        try ExecConfigFile.load(path: path)
    }
}
