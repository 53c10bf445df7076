import WeftMessages

/// An index over a serialized `FileDescriptorSet`: files by name, and the file that defines each symbol.
///
/// Built once from the descriptor set `protoc --include_imports --descriptor_set_out` produced; immutable
/// afterwards, so lookups need no lock. File bytes are kept exactly as they appear in the set, since reflection
/// clients parse them as `FileDescriptorProto` and resolve dependencies by the names inside.
///
/// Symbols follow protobuf scoping: services, methods (`pkg.Service.Method`), messages and nested messages,
/// enums and nested enums, fields (`pkg.Message.field`), oneofs, extensions, and enum values, which are siblings
/// of their enum (`pkg.Message.VALUE`); `pkg.Enum.VALUE` is accepted as well.
public struct DescriptorIndex: Sendable, CustomStringConvertible {
    /// A descriptor set that could not be parsed.
    public struct ParseError: Error, CustomStringConvertible {
        /// What was wrong.
        public var message: String
        /// The underlying decoding error, if any.
        public var cause: (any Error)?

        public var description: String { cause.map { "\(message): \($0)" } ?? message }
    }

    private struct File: Sendable {
        var bytes: [UInt8]
        var dependencies: [String]
    }

    private var files: [String: File] = [:]
    private var symbols: [String: String] = [:]
    private var messageTypes: Set<String> = []
    /// Extendee → extension number → the file that declares the extension.
    private var extensions: [String: [Int32: String]] = [:]

    /// Every file in the set, in the set's order.
    public private(set) var fileNames: [String] = []
    /// Fully qualified names of every service defined in the set, in definition order.
    public private(set) var serviceNames: [String] = []
    /// Fully qualified names of the message types that declare extension ranges (proto2 `extensions`).
    public private(set) var extendableMessageTypes: Set<String> = []

    public var description: String {
        "DescriptorIndex(\(files.count) files, \(serviceNames.count) services, \(symbols.count) symbols)"
    }

    /// Indexes a serialized `google.protobuf.FileDescriptorSet`.
    /// - Throws: ``ParseError`` when the bytes are not a valid descriptor set or name a file twice.
    public init(fileDescriptorSet bytes: [UInt8]) throws {
        do {
            var reader = ProtoWireReader(bytes)
            while let (field, wireType) = try reader.nextTag() {
                guard field == 1, wireType == .lengthDelimited else {
                    try reader.skip(wireType)
                    continue
                }
                try addFile(Array(try reader.readLengthDelimited()))
            }
        } catch let error as ParseError {
            throw error
        } catch {
            throw ParseError(message: "malformed FileDescriptorSet", cause: error)
        }
    }

    /// The index of the descriptor set embedded in `WeftMessages`: every proto the server speaks.
    public static func embedded() throws -> DescriptorIndex {
        try DescriptorIndex(fileDescriptorSet: EmbeddedDescriptorSet.bytes)
    }

    /// The serialized `FileDescriptorProto` of `fileName`, byte for byte as in the set.
    public func fileDescriptorProto(named fileName: String) -> [UInt8]? {
        files[fileName]?.bytes
    }

    /// The files `fileName` imports, as written in its `dependency` field.
    public func dependencies(ofFile fileName: String) -> [String]? {
        files[fileName]?.dependencies
    }

    /// The name of the file that defines a fully qualified symbol; a leading `.` is ignored.
    public func file(containingSymbol symbol: String) -> String? {
        symbols[Self.trimmingLeadingDot(symbol)]
    }

    /// Whether `typeName` (fully qualified) is a message type of the set.
    public func isMessageType(_ typeName: String) -> Bool {
        messageTypes.contains(Self.trimmingLeadingDot(typeName))
    }

    /// The name of the file that declares extension `number` of message type `typeName`.
    public func file(containingExtension number: Int32, of typeName: String) -> String? {
        extensions[Self.trimmingLeadingDot(typeName)]?[number]
    }

    /// The extension numbers declared for message type `typeName`, ascending; `nil` when the type is unknown.
    public func extensionNumbers(of typeName: String) -> [Int32]? {
        let name = Self.trimmingLeadingDot(typeName)
        guard messageTypes.contains(name) else { return nil }
        return (extensions[name].map { Array($0.keys) } ?? []).sorted()
    }

    /// `fileName` followed by its transitive dependencies in breadth-first order, leaving out the dependencies
    /// in `alreadySent`; `fileName` itself is always first. Empty when the file is unknown.
    public func fileWithDependencies(_ fileName: String, excluding alreadySent: Set<String>) -> [String] {
        guard files[fileName] != nil else { return [] }
        var result = [fileName]
        var seen: Set<String> = [fileName]
        var queue = files[fileName]?.dependencies ?? []
        var next = 0
        while next < queue.count {
            let dependency = queue[next]
            next += 1
            guard seen.insert(dependency).inserted, let file = files[dependency] else { continue }
            if !alreadySent.contains(dependency) { result.append(dependency) }
            queue.append(contentsOf: file.dependencies)
        }
        return result
    }

    // MARK: - Indexing

    private mutating func addFile(_ bytes: [UInt8]) throws {
        var name = ""
        var package = ""
        var dependencies: [String] = []
        var messages: [ArraySlice<UInt8>] = []
        var enums: [ArraySlice<UInt8>] = []
        var services: [ArraySlice<UInt8>] = []
        var fileExtensions: [ArraySlice<UInt8>] = []

        var reader = ProtoWireReader(bytes)
        while let (field, wireType) = try reader.nextTag() {
            switch (field, wireType) {
            case (1, .lengthDelimited): name = try reader.readString()
            case (2, .lengthDelimited): package = try reader.readString()
            case (3, .lengthDelimited): dependencies.append(try reader.readString())
            case (4, .lengthDelimited): messages.append(try reader.readLengthDelimited())
            case (5, .lengthDelimited): enums.append(try reader.readLengthDelimited())
            case (6, .lengthDelimited): services.append(try reader.readLengthDelimited())
            case (7, .lengthDelimited): fileExtensions.append(try reader.readLengthDelimited())
            default: try reader.skip(wireType)
            }
        }
        guard !name.isEmpty else { throw ParseError(message: "a FileDescriptorProto has no name") }
        guard files[name] == nil else { throw ParseError(message: "file \(name) appears twice in the set") }

        files[name] = File(bytes: bytes, dependencies: dependencies)
        fileNames.append(name)
        for message in messages { try indexMessage(message, scope: package, file: name) }
        for enumType in enums { try indexEnum(enumType, scope: package, file: name) }
        for service in services { try indexService(service, scope: package, file: name) }
        for fileExtension in fileExtensions { try indexExtension(fileExtension, scope: package, file: name) }
    }

    private mutating func indexMessage(_ bytes: ArraySlice<UInt8>, scope: String, file: String) throws {
        var name = ""
        var members: [ArraySlice<UInt8>] = []  // fields and oneofs: only their names matter
        var nested: [ArraySlice<UInt8>] = []
        var enums: [ArraySlice<UInt8>] = []
        var messageExtensions: [ArraySlice<UInt8>] = []
        var hasExtensionRanges = false

        var reader = ProtoWireReader(bytes)
        while let (field, wireType) = try reader.nextTag() {
            switch (field, wireType) {
            case (1, .lengthDelimited): name = try reader.readString()
            case (2, .lengthDelimited), (8, .lengthDelimited): members.append(try reader.readLengthDelimited())
            case (3, .lengthDelimited): nested.append(try reader.readLengthDelimited())
            case (4, .lengthDelimited): enums.append(try reader.readLengthDelimited())
            case (5, .lengthDelimited):
                hasExtensionRanges = true
                try reader.skip(wireType)
            case (6, .lengthDelimited): messageExtensions.append(try reader.readLengthDelimited())
            default: try reader.skip(wireType)
            }
        }

        let fullName = Self.qualify(name, in: scope)
        define(fullName, in: file)
        messageTypes.insert(fullName)
        if hasExtensionRanges { extendableMessageTypes.insert(fullName) }
        for member in members { define(Self.qualify(try Self.name(of: member), in: fullName), in: file) }
        for message in nested { try indexMessage(message, scope: fullName, file: file) }
        for enumType in enums { try indexEnum(enumType, scope: fullName, file: file) }
        for messageExtension in messageExtensions { try indexExtension(messageExtension, scope: fullName, file: file) }
    }

    private mutating func indexEnum(_ bytes: ArraySlice<UInt8>, scope: String, file: String) throws {
        var name = ""
        var values: [ArraySlice<UInt8>] = []
        var reader = ProtoWireReader(bytes)
        while let (field, wireType) = try reader.nextTag() {
            switch (field, wireType) {
            case (1, .lengthDelimited): name = try reader.readString()
            case (2, .lengthDelimited): values.append(try reader.readLengthDelimited())
            default: try reader.skip(wireType)
            }
        }
        let fullName = Self.qualify(name, in: scope)
        define(fullName, in: file)
        for value in values {
            let valueName = try Self.name(of: value)
            define(Self.qualify(valueName, in: scope), in: file)  // C++ scoping: a sibling of the enum
            define(Self.qualify(valueName, in: fullName), in: file)
        }
    }

    private mutating func indexService(_ bytes: ArraySlice<UInt8>, scope: String, file: String) throws {
        var name = ""
        var methods: [ArraySlice<UInt8>] = []
        var reader = ProtoWireReader(bytes)
        while let (field, wireType) = try reader.nextTag() {
            switch (field, wireType) {
            case (1, .lengthDelimited): name = try reader.readString()
            case (2, .lengthDelimited): methods.append(try reader.readLengthDelimited())
            default: try reader.skip(wireType)
            }
        }
        let fullName = Self.qualify(name, in: scope)
        define(fullName, in: file)
        serviceNames.append(fullName)
        for method in methods { define(Self.qualify(try Self.name(of: method), in: fullName), in: file) }
    }

    /// Indexes a `FieldDescriptorProto` declared as an extension: name=1, extendee=2, number=3.
    private mutating func indexExtension(_ bytes: ArraySlice<UInt8>, scope: String, file: String) throws {
        var name = ""
        var extendee = ""
        var number: Int32?
        var reader = ProtoWireReader(bytes)
        while let (field, wireType) = try reader.nextTag() {
            switch (field, wireType) {
            case (1, .lengthDelimited): name = try reader.readString()
            case (2, .lengthDelimited): extendee = try reader.readString()
            case (3, .varint): number = Int32(truncatingIfNeeded: try reader.readVarint())
            default: try reader.skip(wireType)
            }
        }
        define(Self.qualify(name, in: scope), in: file)
        if let number, !extendee.isEmpty {
            extensions[Self.trimmingLeadingDot(extendee), default: [:]][number] = file
        }
    }

    /// Records where `symbol` is defined; the first definition wins, as in a descriptor pool.
    private mutating func define(_ symbol: String, in file: String) {
        if symbols[symbol] == nil { symbols[symbol] = file }
    }

    /// Field 1 (`name`) of a descriptor message.
    private static func name(of bytes: ArraySlice<UInt8>) throws -> String {
        var reader = ProtoWireReader(bytes)
        var name = ""
        while let (field, wireType) = try reader.nextTag() {
            if field == 1, wireType == .lengthDelimited {
                name = try reader.readString()
            } else {
                try reader.skip(wireType)
            }
        }
        return name
    }

    private static func qualify(_ name: String, in scope: String) -> String {
        scope.isEmpty ? name : "\(scope).\(name)"
    }

    private static func trimmingLeadingDot(_ name: String) -> String {
        name.first == "." ? String(name.dropFirst()) : name
    }
}
