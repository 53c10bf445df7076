import Foundation
import Synchronization
import Testing
@testable import WeftEngine

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs real scripts (bash, python3) written to a temporary directory.
@Suite("ExecExecutor", .timeLimit(.minutes(1)))
final class ExecExecutorTests: Sendable {
    let directory: String
    let heartbeats = RecordedHeartbeats()

    /// "Promptly", for commands that would otherwise run 30 s or more. Kills take milliseconds (500 ms for a command
    /// ignoring SIGTERM), but the bound is loose because other suites of this target can keep the cooperative pool
    /// (two threads on a two-core machine) busy for seconds before an awaiting test resumes.
    static let prompt = Duration.seconds(15)

    init() throws {
        directory = NSTemporaryDirectory() + "weft-exec-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Writes `body` as a bash script and returns an executor with it configured as `name`.
    func executor(
        _ name: String = "script", bash body: String, configuration: ExecExecutor.Configuration = .defaults
    ) throws -> ExecExecutor {
        let path = "\(directory)/\(name).sh"
        try body.write(toFile: path, atomically: true, encoding: .utf8)
        return ExecExecutor(commands: [ExecCommand(name: name, argv: ["bash", path])], configuration: configuration)
    }

    func run(_ exec: ExecExecutor, _ activity: Activity = makeActivity()) async throws -> ActivityOutput {
        try await exec.execute(activity, heartbeat: heartbeats.recorder)
    }

    func pid(_ file: String) throws -> Int32 {
        let text = try String(contentsOfFile: "\(directory)/\(file)", encoding: .utf8)
        return try #require(Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    /// Waits (up to 15 s) until `condition` holds.
    func eventually(_ condition: () -> Bool) async throws -> Bool {
        for _ in 0..<750 {
            if condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return condition()
    }

    @Test("A zero exit returns stdout as the result, less one trailing newline")
    func success() async throws {
        let exec = try executor(bash: "printf 'first line\\nsecond line\\n\\n'")
        let output = try await run(exec)
        #expect(output.output == "first line\nsecond line\n")
        #expect(output.newTasks.isEmpty)
    }

    @Test("The attempt arrives on stdin as JSON, and stdin is closed after it")
    func stdinRequest() async throws {
        let script = """
            import json, sys
            request = json.load(sys.stdin)
            task = request["task"]
            print(task["id"], task["type"], task["complexity"], ",".join(task["depends_on"]))
            print(json.loads(task["input"])["name"])
            print(request["workflow_id"], request["attempt"], request["constraints"]["language"])
            print(request["last_heartbeat_details"], request["reference"]["task_id"], request["timeouts"]["heartbeat_ms"])
            """
        let path = "\(directory)/read.py"
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        let exec = ExecExecutor(commands: [ExecCommand(name: "read", argv: ["python3", path])])
        var activity = makeActivity(executor: "exec:read", input: #"{"name": "$(rm -rf /) ; `id`"}"#, attempt: 2)
        activity.task.dependsOn = ["schema", "models"]
        activity.constraints = ["language": "python"]
        activity.lastHeartbeatDetails = "half done"
        activity.reference = TaskResult(taskID: "old", output: "x", attempt: 1, duration: .seconds(2))
        let output = try await run(exec, activity)
        #expect(
            output.output == """
                t1 api MEDIUM schema,models
                $(rm -rf /) ; `id`
                wf-1 2 python
                half done old 10000
                """)
    }

    @Test("The request has every documented key, with a null reference when there is none")
    func requestShape() async throws {
        let exec = ExecExecutor(commands: [ExecCommand(name: "cat", argv: ["cat"])])
        let output = try await run(exec, makeActivity(executor: "exec:cat"))
        let request = try #require(
            try JSONSerialization.jsonObject(with: Data(output.output.utf8)) as? [String: Any])
        #expect(
            Set(request.keys) == [
                "workflow_id", "task", "attempt", "constraints", "last_heartbeat_details", "reference", "timeouts",
            ])
        #expect(request["reference"] is NSNull)
        let task = try #require(request["task"] as? [String: Any])
        #expect(Set(task.keys) == ["id", "type", "complexity", "description", "depends_on", "input"])
    }

    @Test("argv is used as is: no shell expands it")
    func noShell() async throws {
        let exec = ExecExecutor(commands: [
            ExecCommand(name: "printf", argv: ["printf", "%s|", "a b", "$HOME", "`id`", "*"])
        ])
        let output = try await run(exec, makeActivity(executor: "exec:printf"))
        #expect(output.output == "a b|$HOME|`id`|*|")
    }

    @Test("The working directory and environment reach the child; weftd's environment does not")
    func environment() async throws {
        let exec = ExecExecutor(commands: [
            ExecCommand(
                name: "env", argv: ["bash", "-c", "pwd; echo \"$GREETING\"; echo \"${HOME-unset}\"; echo $WEFT_TASK_ID"],
                workingDirectory: directory, environment: ["GREETING": "hello"])
        ])
        let output = try await run(exec, makeActivity(executor: "exec:env"))
        let lines = output.output.split(separator: "\n").map(String.init)
        #expect(lines.count == 4)
        #expect(lines.first.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
            == URL(fileURLWithPath: directory).standardizedFileURL.path)
        #expect(Array(lines.dropFirst()) == ["hello", "unset", "t1"])
    }

    #if os(Linux)
    @Test("Descriptors of weftd do not leak into the command, even without close-on-exec")
    func noLeakedDescriptors() async throws {
        let fd = open("/dev/null", O_RDONLY)
        #expect(fd > 2)
        defer { close(fd) }
        let exec = ExecExecutor(commands: [
            ExecCommand(name: "fds", argv: ["bash", "-c", "[ -e /proc/self/fd/\(fd) ] && echo leaked || echo closed"])
        ])
        let output = try await run(exec, makeActivity(executor: "exec:fds"))
        #expect(output.output == "closed")
    }
    #endif

    @Test("A non-zero exit fails retryably with the exit code and the tail of stderr")
    func nonZeroExit() async throws {
        let exec = try executor(bash: """
            for i in $(seq 1 400); do echo "noise line $i" >&2; done
            echo "fatal: the build broke" >&2
            exit 3
            """)
        let failure = await #expect(throws: ActivityFailure.self) { try await run(exec) }
        #expect(failure?.type == "ExitStatus")
        #expect(failure?.retryable == true)
        #expect(failure?.message.contains("exited with status 3") == true)
        #expect(failure?.message.contains("fatal: the build broke") == true)
        #expect(failure?.message.contains("noise line 1\n") == false)
        #expect((failure?.message.utf8.count ?? 0) < 2 * 1024 + 200)
    }

    @Test("Death by a signal fails retryably with type Signal")
    func signal() async throws {
        let exec = try executor(bash: "echo dying >&2; kill -KILL $$")
        let failure = await #expect(throws: ActivityFailure.self) { try await run(exec) }
        #expect(failure?.type == "Signal")
        #expect(failure?.retryable == true)
        #expect(failure?.message.contains("SIGKILL") == true)
        #expect(failure?.message.contains("dying") == true)
    }

    @Test("Every line of stdout or stderr is a heartbeat; stderr lines are the details")
    func heartbeatsPerLine() async throws {
        let exec = try executor(bash: """
            echo out-1
            echo "step 1" >&2
            echo out-2
            echo "step 2" >&2
            printf 'no newline at the end'
            """)
        _ = try await run(exec)
        let details = heartbeats.all
        #expect(details.count == 5)
        // A stdout line repeats the last stderr details, whichever pipe the I/O thread happened to read first.
        #expect(Set(details).isSubset(of: ["", "step 1", "step 2"]))
        var distinct: [String] = []
        for detail in details where !detail.isEmpty && distinct.last != detail { distinct.append(detail) }
        #expect(distinct == ["step 1", "step 2"])
    }

    @Test("Heartbeat details are cut to 1 KiB")
    func longDetails() async throws {
        let exec = try executor(bash: "printf '%*s\\n' 5000 '' | tr ' ' x >&2")
        _ = try await run(exec)
        #expect(heartbeats.all.map(\.utf8.count) == [1024])
    }

    @Test("stdout beyond the limit kills the command and fails with OutputTooLarge")
    func outputTooLarge() async throws {
        var configuration = ExecExecutor.Configuration()
        configuration.maxOutputBytes = 64 * 1024
        let exec = try executor(bash: "exec yes", configuration: configuration)
        let failure = await #expect(throws: ActivityFailure.self) { try await run(exec) }
        #expect(failure?.type == "OutputTooLarge")
        #expect(failure?.retryable == false)
    }

    @Test("Cancellation kills the whole process group and reaps the child")
    func cancellationKillsGroup() async throws {
        let exec = try executor(bash: """
            sleep 1000 &
            echo $! > "\(directory)/background.pid"
            echo $$ > "\(directory)/main.pid"
            echo started
            wait
            """)
        let activity = makeActivity()
        let recorder = heartbeats.recorder
        let task = Task { try await exec.execute(activity, heartbeat: recorder) }
        #expect(try await eventually { !heartbeats.all.isEmpty })
        let main = try pid("main.pid")
        let background = try pid("background.pid")

        let start = ContinuousClock.now
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(ContinuousClock.now - start < Self.prompt)
        #expect(isReaped(main))
        #expect(try await eventually { isDead(background) })
    }

    @Test("A command that ignores SIGTERM is killed after the grace period")
    func ignoresTerm() async throws {
        let exec = try executor(bash: """
            trap '' TERM
            sleep 1000 &
            echo $! > "\(directory)/background.pid"
            echo $$ > "\(directory)/main.pid"
            echo started
            while true; do sleep 0.05; done
            """)
        let activity = makeActivity()
        let recorder = heartbeats.recorder
        let task = Task { try await exec.execute(activity, heartbeat: recorder) }
        #expect(try await eventually { !heartbeats.all.isEmpty })
        let main = try pid("main.pid")
        let background = try pid("background.pid")

        let start = ContinuousClock.now
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        let elapsed = ContinuousClock.now - start
        #expect(elapsed >= .milliseconds(450))
        #expect(elapsed < Self.prompt)
        #expect(isReaped(main))
        #expect(try await eventually { isDead(background) })
    }

    @Test("A timeout-like cancel 200 ms in ends a long command promptly")
    func timeoutCancel() async throws {
        let exec = try executor(bash: "echo $$ > \"\(directory)/main.pid\"; sleep 30")
        let activity = makeActivity()
        let recorder = heartbeats.recorder
        let task = Task { try await exec.execute(activity, heartbeat: recorder) }
        let start = ContinuousClock.now
        try await Task.sleep(for: .milliseconds(200))
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(ContinuousClock.now - start < Self.prompt)
        #expect(isReaped(try pid("main.pid")))
    }

    @Test("Background processes left by a finished command are killed and do not hold up the result")
    func leftoversAfterExit() async throws {
        let exec = try executor(bash: """
            sleep 1000 &
            echo $! > "\(directory)/background.pid"
            echo done
            """)
        let start = ContinuousClock.now
        let output = try await run(exec)
        #expect(output.output == "done")
        #expect(ContinuousClock.now - start < Self.prompt)
        let background = try pid("background.pid")
        #expect(try await eventually { isDead(background) })
    }

    @Test("A program that cannot be started fails as non-retryable SpawnFailed")
    func spawnFailure() async throws {
        for argv in [["/nonexistent/program"], ["no-such-program-weft-test"]] {
            let exec = ExecExecutor(commands: [ExecCommand(name: "missing", argv: argv)])
            let failure = await #expect(throws: ActivityFailure.self) {
                try await run(exec, makeActivity(executor: "exec:missing"))
            }
            #expect(failure?.type == "SpawnFailed")
            #expect(failure?.retryable == false)
        }
    }

    @Test("An unconfigured command fails as UnknownCommand")
    func unknownCommand() async throws {
        let exec = ExecExecutor(commands: [])
        #expect(!exec.hasCommand("deploy"))
        let failure = await #expect(throws: ActivityFailure.self) {
            try await run(exec, makeActivity(executor: "exec:deploy"))
        }
        #expect(failure?.type == "UnknownCommand")
        #expect(failure?.retryable == false)
    }

    @Test("Many commands run at once without mixing their output")
    func concurrent() async throws {
        let exec = try executor(bash: #"python3 -c 'import json,sys; print(json.load(sys.stdin)["task"]["id"])'"#)
        let outputs = try await withThrowingTaskGroup(of: (String, String).self) { group in
            for index in 0..<16 {
                var activity = makeActivity()
                activity.task.id = "task-\(index)"
                group.addTask {
                    (activity.task.id, try await exec.execute(activity, heartbeat: HeartbeatRecorder { _ in }).output)
                }
            }
            return try await group.reduce(into: [String: String]()) { $0[$1.0] = $1.1 }
        }
        #expect(outputs.count == 16)
        #expect(outputs.allSatisfy { $0.key == $0.value })
    }
}

@Suite("ExecCommand config")
final class ExecCommandConfigTests: Sendable {
    let directory: String

    init() throws {
        directory = NSTemporaryDirectory() + "weft-exec-config-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: directory)
    }

    func load(_ json: String) throws -> [ExecCommand] {
        let path = "\(directory)/exec.json"
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        return try ExecCommand.loadConfig(path: path)
    }

    func problem(_ json: String) -> ExecConfigError? {
        do {
            _ = try load(json)
            return nil
        } catch let error as ExecConfigError {
            return error
        } catch {
            Issue.record("unexpected \(error)")
            return nil
        }
    }

    @Test("A good file gives its commands with defaults for the optional keys")
    func good() throws {
        let commands = try load("""
            {"commands": [
              {"name": "build", "argv": ["/usr/bin/make", "-C", "/srv/app"], "working_directory": "/srv/app",
               "environment": {"LANG": "C.UTF-8"}, "inherit_environment": true},
              {"name": "lint.py", "argv": ["python3", "lint.py"]}
            ]}
            """)
        #expect(
            commands == [
                ExecCommand(
                    name: "build", argv: ["/usr/bin/make", "-C", "/srv/app"], workingDirectory: "/srv/app",
                    environment: ["LANG": "C.UTF-8"], inheritEnvironment: true),
                ExecCommand(name: "lint.py", argv: ["python3", "lint.py"]),
            ])
    }

    @Test("A command survives encoding and decoding")
    func roundTrip() throws {
        let command = ExecCommand(name: "x", argv: ["a"], workingDirectory: "/tmp", environment: ["K": "V"])
        let data = try JSONEncoder().encode(command)
        #expect(try JSONDecoder().decode(ExecCommand.self, from: data) == command)
    }

    @Test("A missing file is an error naming the file")
    func missingFile() {
        let path = "\(directory)/absent.json"
        #expect {
            _ = try ExecCommand.loadConfig(path: path)
        } throws: { error in
            let error = error as? ExecConfigError
            return error?.path == path && error?.message == "cannot read the file: no such file"
                && error?.description.contains(path) == true
        }
    }

    @Test("Invalid JSON is an error naming the file and where")
    func badJSON() throws {
        let error = try #require(problem(#"{"commands": [{"name": "x", "argv": ["a"]}"#))
        #expect(error.path.hasSuffix("exec.json"))
        #expect(error.message.hasPrefix("not valid JSON"))
    }

    @Test(
        "Missing, mistyped, unknown and invalid keys are errors naming the command and key",
        arguments: [
            (#"{"commands": [{"name": "x"}]}"#, "commands[0].argv is missing"),
            (#"{"commands": [{"name": "a", "argv": ["a"]}, {"argv": ["b"]}]}"#, "commands[1].name is missing"),
            (#"{"commands": [{"name": "x", "argv": "make"}]}"#, "commands[0].argv must be an array"),
            (#"{"commands": [{"name": "x", "argv": []}]}"#, #""argv" of "x" must not be empty"#),
            (#"{"commands": [{"name": "x y", "argv": ["a"]}]}"#, "may hold only letters"),
            (#"{"commands": [{"name": "x", "argv": ["a"], "working_dir": "/"}]}"#, #"unknown key "working_dir""#),
            (#"{"commandz": []}"#, #"unknown key "commandz""#),
            (#"{}"#, "commands is missing"),
            (#"[]"#, "the file must be an object"),
            (
                #"{"commands": [{"name": "x", "argv": ["a"]}, {"name": "x", "argv": ["b"]}]}"#,
                #"commands[1]: duplicate name "x" (also commands[0])"#
            ),
        ])
    func invalid(json: String, message: String) throws {
        let error = try #require(problem(json))
        #expect(error.message.contains(message), "\(error.message)")
    }
}

@Suite("Exec output buffers")
struct ExecOutputBufferTests {
    @Test("LineBuffer splits lines across chunks, drops carriage returns and cuts long lines")
    func lines() {
        var buffer = LineBuffer(limit: 5)
        #expect(buffer.append(Array("ab".utf8)[...]) == [])
        #expect(buffer.append(Array("c\r\nlonger line\nx".utf8)[...]) == ["abc", "longe"])
        #expect(buffer.finish() == "x")
        #expect(buffer.finish() == nil)
    }

    @Test("TailBuffer keeps the last bytes without a broken UTF-8 sequence at the front")
    func tail() {
        var buffer = TailBuffer(limit: 4)
        buffer.append(Array("abcdefé".utf8)[...])
        #expect(buffer.wasTruncated)
        #expect(buffer.bytes == Array("efé".utf8))
        var short = TailBuffer(limit: 10)
        short.append(Array("ok".utf8)[...])
        #expect(!short.wasTruncated)
        #expect(short.bytes == Array("ok".utf8))
    }
}

private func makeActivity(executor: String = "exec:script", input: String = "{}", attempt: Int = 1) -> Activity {
    Activity(
        workflowID: "wf-1", task: TaskSpec(id: "t1", type: "api", executor: executor, input: input),
        attempt: attempt, startToCloseTimeout: .seconds(60), heartbeatTimeout: .seconds(10))
}

/// True when `pid`, a child of ours, is gone and reaped: not even a zombie is left.
private func isReaped(_ pid: Int32) -> Bool {
    kill(pid, 0) == -1 && errno == ESRCH
}

/// True when `pid` no longer runs. An orphan's zombie counts as dead: orphans go to PID 1, and not every PID 1 (this
/// machine's does not) reaps them.
private func isDead(_ pid: Int32) -> Bool {
    if isReaped(pid) { return true }
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let end = stat.range(of: ") ", options: .backwards)
    else { return isReaped(pid) }
    let state = stat[end.upperBound...].first
    return state == "Z" || state == "X"
}
