import Foundation
import Synchronization
import WeftCLI
import WeftMessages

/// Draws a ``LiveView`` on the terminal: events and the redraw ticker come from different tasks, so the view and
/// the screen live behind one lock, and each update is written while holding it (writes stay in order).
final class LiveRenderer: Sendable {
    private struct State {
        var view: LiveView
        var screen = LiveScreen()
        var finished = false
    }

    private let state: Mutex<State>

    init(colors: Bool) {
        state = Mutex(State(view: LiveView(colors: colors)))
    }

    /// Shows an event.
    func handle(_ event: Weft_V1_WorkflowEvent) {
        state.withLock { state in
            let lines = state.view.apply(event)
            draw(&state, newLines: lines)
        }
    }

    /// Prints a line above the status region (e.g. a reconnection notice).
    func notice(_ line: String) {
        state.withLock { draw(&$0, newLines: [line]) }
    }

    /// Redraws the status region so that elapsed times move.
    func tick() {
        state.withLock { state in
            if !state.finished { draw(&state, newLines: []) }
        }
    }

    /// Draws the final frame (the bar without running tasks) and the summary line; later ticks draw nothing.
    func finish() {
        state.withLock { state in
            draw(&state, newLines: [])
            state.finished = true
            if let summary = state.view.summaryLine { Terminal.line(summary) }
        }
    }

    private func draw(_ state: inout State, newLines: [String]) {
        let (columns, rows) = Terminal.size
        let status = state.view.statusLines(
            nowUnixMs: UInt64(max(0, Date().timeIntervalSince1970 * 1000)), width: columns,
            maxLines: max(2, min(12, rows - 2)))
        Terminal.out(state.screen.frame(newLines: newLines, status: status))
    }
}
