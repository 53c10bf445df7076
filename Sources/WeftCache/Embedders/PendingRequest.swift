import Dispatch
import Foundation
import Synchronization
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One HTTP exchange bounded by a deadline: whichever comes first — the reply, the deadline or the caller's
/// cancellation — resumes the caller, and the other two only cancel the data task. The caller never waits for a
/// data task to notice its cancellation (which, with corelibs Foundation, can take until the server answers).
final class PendingRequest: Sendable {
    private struct State {
        var continuation: CheckedContinuation<(Data, URLResponse), any Error>?
        var task: URLSessionDataTask?
    }

    private let state = Mutex(State())

    static func run(
        _ request: URLRequest,
        on session: URLSession,
        timeout: Duration
    ) async throws -> (Data, URLResponse) {
        let pending = PendingRequest()
        let target = request.url?.absoluteString ?? "?"
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                pending.state.withLock { $0.continuation = continuation }
                let task = session.dataTask(with: request) { data, response, error in
                    if let error {
                        let code: EmbedderError.Code = (error as? URLError)?.code == .timedOut ? .timeout : .transport
                        pending.finish(.failure(EmbedderError(code, "request to \(target) failed", cause: error)))
                    } else if let response {
                        pending.finish(.success((data ?? Data(), response)))
                    } else {
                        pending.finish(.failure(EmbedderError(.transport, "request to \(target) gave no response")))
                    }
                }
                pending.state.withLock { $0.task = task }
                task.resume()
                let (seconds, attoseconds) = timeout.components
                let nanoseconds = Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
                DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(nanoseconds)) {
                    pending.finish(.failure(EmbedderError(.timeout, "no reply from \(target) within \(timeout)")))
                }
                if Task.isCancelled { pending.finish(.failure(CancellationError())) }
            }
        } onCancel: {
            pending.finish(.failure(CancellationError()))
        }
    }

    /// Resumes the caller once; later calls only make sure the data task is cancelled.
    private func finish(_ result: Result<(Data, URLResponse), any Error>) {
        let (continuation, task) = state.withLock { state in
            defer { state.continuation = nil }
            return (state.continuation, state.task)
        }
        guard let continuation else { return }
        if case .failure = result { task?.cancel() }
        continuation.resume(with: result)
    }
}
