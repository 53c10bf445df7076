import Foundation

/// The `exec:NAME` executor: runs a command the operator configured, one process per attempt.
///
/// - The process is started with `posix_spawn`, without a shell, with the command's `argv` as is, in a process group
///   of its own. Task data never reaches a command line.
/// - The attempt is written to stdin as one line of JSON (`workflow_id`, `task` {`id`, `type`, `complexity`,
///   `description`, `depends_on`, `input`}, `attempt`, `constraints`, `last_heartbeat_details`, `reference`
///   {`task_id`, `output`, `attempt`, `duration_ms`} or null, `timeouts` {`start_to_close_ms`, `heartbeat_ms`}), then
///   stdin is closed. `input` is the task's input text as a string.
/// - stdout, whole, is the result (one trailing newline removed). It may not pass
///   ``Configuration/maxOutputBytes``: the group is killed and the attempt fails (`OutputTooLarge`, not retryable).
/// - Every line written to stdout or stderr is a heartbeat. A stderr line (its first
///   ``Configuration/heartbeatDetailsBytes``) becomes the heartbeat details; a stdout line repeats the last details.
/// - Exit status 0 succeeds. Another status fails the attempt, retryably, with type `ExitStatus`; death by a signal
///   with type `Signal`; both messages carry the code and the tail of stderr (``Configuration/stderrTailBytes``).
/// - When the Swift task is cancelled (start-to-close or heartbeat timeout, workflow cancellation) the process group
///   gets SIGTERM, then SIGKILL after ``Configuration/killGracePeriod``; the child is reaped before `execute` throws
///   `CancellationError`. When the child exits by itself, what remains of its group is killed too.
/// - Each running process has a dedicated thread that polls its non-blocking pipes, so no thread of Swift's
///   cooperative pool ever blocks on a pipe or on `waitpid`.
///
/// Orphans that die after their parent are reaped by PID 1: run weftd under an init that reaps (tini,
/// `docker run --init`), or they stay as zombies.
public struct ExecExecutor: ActivityExecutor {
    /// Limits of the exec executor.
    public struct Configuration: Sendable, Hashable {
        /// Time between SIGTERM and SIGKILL on cancellation. Default 500 ms.
        public var killGracePeriod: Duration = .milliseconds(500)
        /// Largest accepted stdout. Default 16 MiB.
        public var maxOutputBytes: Int = 16 * 1024 * 1024
        /// How much of the end of stderr a failure message carries. Default 2 KiB.
        public var stderrTailBytes: Int = 2 * 1024
        /// Heartbeat details are cut to this many bytes of a stderr line. Default 1 KiB.
        public var heartbeatDetailsBytes: Int = 1024

        /// The defaults.
        public init() {}

        /// The defaults.
        public static var defaults: Configuration { Configuration() }
    }

    private let commands: [String: ExecCommand]
    /// The limits in force.
    public let configuration: Configuration

    /// Makes an executor for `commands` (a later command with the same name replaces an earlier one).
    public init(commands: [ExecCommand], configuration: Configuration = .defaults) {
        self.commands = Dictionary(commands.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
        self.configuration = configuration
    }

    /// Whether a command called `name` (without the `exec:` prefix) is configured.
    public func hasCommand(_ name: String) -> Bool { commands[name] != nil }

    /// The configured command names, sorted.
    public var commandNames: [String] { commands.keys.sorted() }

    /// Runs the command the task names as its executor (`exec:NAME`).
    ///
    /// - Throws: `CancellationError` when cancelled (after the process is gone); ``ActivityFailure`` otherwise.
    public func execute(_ activity: Activity, heartbeat: HeartbeatRecorder) async throws -> ActivityOutput {
        let executor = activity.task.executor
        guard executor.hasPrefix("exec:") else {
            throw ActivityFailure(
                "task \"\(activity.task.id)\" names executor \"\(executor)\", not exec:NAME",
                type: "UnknownCommand", retryable: false)
        }
        return try await execute(command: String(executor.dropFirst("exec:".count)), activity, heartbeat: heartbeat)
    }

    /// Runs the configured command `name` for `activity`.
    ///
    /// - Throws: `CancellationError` when cancelled (after the process is gone); ``ActivityFailure`` otherwise.
    public func execute(
        command name: String, _ activity: Activity, heartbeat: HeartbeatRecorder
    ) async throws -> ActivityOutput {
        guard let command = commands[name] else {
            throw ActivityFailure("no exec command \"\(name)\" is configured", type: "UnknownCommand", retryable: false)
        }
        try Task.checkCancellation()

        let environment = childEnvironment(command, activity)
        let searchPath = environment["PATH"] ?? ""
        guard let path = ProcessSpawner.resolveExecutable(command.argv[0], searchPath: searchPath) else {
            throw ActivityFailure(
                "exec command \"\(name)\": \"\(command.argv[0])\" is not an executable file in PATH \(searchPath)",
                type: "SpawnFailed", retryable: false)
        }
        let child: ChildProcess
        do throws(ProcessSpawner.Failure) {
            child = try ChildProcess(
                path: path, argv: command.argv,
                environment: environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" },
                workingDirectory: command.workingDirectory)
        } catch {
            let directory = command.workingDirectory.map { " in \($0)" } ?? ""
            throw ActivityFailure(
                "exec command \"\(name)\" could not start\(directory): \(error)", type: "SpawnFailed",
                retryable: error.isTransient)
        }

        let outcome = await withTaskCancellationHandler {
            await child.run(input: ExecRequest(activity).jsonBytes(), limits: limits) { details in
                heartbeat(details)
            }
        } onCancel: {
            child.terminate()
        }
        if outcome.terminated || Task.isCancelled { throw CancellationError() }
        return try result(of: outcome, command: name)
    }

    private var limits: ChildProcess.Limits {
        let (seconds, attoseconds) = configuration.killGracePeriod.components
        return ChildProcess.Limits(
            maxStdoutBytes: configuration.maxOutputBytes, stderrTailBytes: configuration.stderrTailBytes,
            lineDetailsBytes: configuration.heartbeatDetailsBytes,
            killGraceMilliseconds: max(0, seconds * 1000 + attoseconds / 1_000_000_000_000_000))
    }

    /// PATH (weftd's unless the command sets it), the WEFT_ variables, then the command's variables; or weftd's
    /// whole environment underneath when the command inherits it.
    private func childEnvironment(_ command: ExecCommand, _ activity: Activity) -> [String: String] {
        let inherited = ProcessInfo.processInfo.environment
        var environment = command.inheritEnvironment ? inherited : [:]
        environment["PATH"] = inherited["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        // Values only, never a command line; a NUL could not pass through the C strings.
        environment["WEFT_WORKFLOW_ID"] = activity.workflowID.replacingOccurrences(of: "\0", with: "")
        environment["WEFT_TASK_ID"] = activity.task.id.replacingOccurrences(of: "\0", with: "")
        environment["WEFT_ATTEMPT"] = String(activity.attempt)
        environment.merge(command.environment) { _, configured in configured }
        return environment.filter { !$0.key.isEmpty && !$0.key.contains("=") && !$0.key.contains("\0") }
    }

    private func result(of outcome: ChildProcess.Outcome, command name: String) throws -> ActivityOutput {
        if outcome.stdoutTooLarge {
            throw ActivityFailure(
                "exec command \"\(name)\" wrote more than \(configuration.maxOutputBytes) bytes to stdout",
                type: "OutputTooLarge", retryable: false)
        }
        var stderr = String(decoding: outcome.stderrTail, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if outcome.stderrTruncated { stderr = "…" + stderr }
        let detail = stderr.isEmpty ? " (stderr empty)" : "; stderr: \(stderr)"
        switch outcome.termination {
        case .exited(0):
            var output = outcome.stdout[...]
            if output.last == UInt8(ascii: "\n") { output = output.dropLast() }
            return ActivityOutput(output: String(decoding: output, as: UTF8.self))
        case .exited(let code):
            throw ActivityFailure("exec command \"\(name)\" exited with status \(code)\(detail)", type: "ExitStatus")
        case .unknown:
            throw ActivityFailure(
                "exec command \"\(name)\" ended, but its exit status was lost (reaped elsewhere in weftd)\(detail)",
                type: "ExitStatus")
        case .signaled(let signal):
            throw ActivityFailure(
                "exec command \"\(name)\" was killed by \(ProcessSpawner.signalName(signal))\(detail)", type: "Signal")
        }
    }
}
