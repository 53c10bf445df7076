import ArgumentParser

/// How a command shows a workflow's events.
enum EventView {
    /// Redrawn in place (stdout is a terminal).
    case live
    /// One `key=value` line per event.
    case lines
    /// One JSON object per event (proto3 JSON mapping of WorkflowEvent).
    case json
}

/// The flags that choose an ``EventView``; without them, a terminal gets the live view and anything else lines.
struct EventViewOptions: ParsableArguments {
    @Flag(help: "Print JSON (proto3 JSON mapping), one object per line.")
    var json = false

    @Flag(help: "Print one line per event even on a terminal.")
    var plain = false

    var view: EventView {
        if json { return .json }
        return plain || !Terminal.stdoutIsTerminal ? .lines : .live
    }
}
