/// A test step that did not finish in time.
public struct TestTimeoutError: Error, CustomStringConvertible {
    /// What was being waited for.
    public var message: String

    public var description: String { message }
}

/// Runs `body`, failing with ``TestTimeoutError`` if it takes longer than `limit`, so a broken handler fails a
/// test instead of hanging the whole run. `body` is cancelled on timeout.
public func withTimeout<T: Sendable>(
    _ limit: Duration = .seconds(10),
    _ what: String = "the operation",
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let result = first else {
            throw TestTimeoutError(message: "\(what) did not finish within \(limit)")
        }
        return result
    }
}

/// Polls `condition` every millisecond until it holds, failing with ``TestTimeoutError`` after `limit`.
public func waitUntil(
    _ what: String,
    within limit: Duration = .seconds(10),
    _ condition: @Sendable () -> Bool
) async throws {
    let deadline = ContinuousClock.now.advanced(by: limit)
    while !condition() {
        guard ContinuousClock.now < deadline else {
            throw TestTimeoutError(message: "\(what) did not happen within \(limit)")
        }
        try await Task.sleep(for: .milliseconds(1))
    }
}
