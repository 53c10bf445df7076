/// A problem with the exec executor's config file: which file, and what is wrong with it.
public struct ExecConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The config file's path.
    public var path: String
    /// What is wrong, e.g. `commands[1].argv is missing`.
    public var message: String

    /// Makes an error about the file at `path`.
    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    /// `exec config PATH: MESSAGE`.
    public var description: String { "exec config \(path): \(message)" }
}
