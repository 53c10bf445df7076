import Testing
import WeftMessages

@testable import WeftServer

@Suite("DescriptorIndex")
struct DescriptorIndexTests {
    let index: DescriptorIndex

    init() throws {
        index = try DescriptorIndex.embedded()
    }

    @Test("Indexes every file of the embedded set with its dependencies")
    func files() throws {
        for file in [
            "weft/v1/workflow.proto", "weft/v1/worker.proto", "weft/testing/v1/testing.proto",
            "grpc/health/v1/health.proto", "grpc/reflection/v1/reflection.proto",
            "grpc/reflection/v1alpha/reflection.proto", "google/protobuf/wrappers.proto",
        ] {
            #expect(index.fileNames.contains(file))
            let bytes = try #require(index.fileDescriptorProto(named: file))
            #expect(fileDescriptorName(bytes) == file)
        }
        #expect(index.dependencies(ofFile: "weft/v1/worker.proto")?.contains("weft/v1/workflow.proto") == true)
        #expect(index.dependencies(ofFile: "grpc/health/v1/health.proto") == [])
        #expect(index.fileDescriptorProto(named: "nope.proto") == nil)
    }

    @Test("Keeps each file's bytes exactly as they are in the set")
    func byteExact() throws {
        var reader = ProtoWireReader(EmbeddedDescriptorSet.bytes)
        var count = 0
        while let (field, wireType) = try reader.nextTag() {
            #expect(field == 1 && wireType == .lengthDelimited)
            let bytes = Array(try reader.readLengthDelimited())
            #expect(index.fileDescriptorProto(named: fileDescriptorName(bytes)) == bytes)
            count += 1
        }
        #expect(count == index.fileNames.count)
    }

    @Test("Lists the services defined in the set")
    func services() {
        for service in [
            "weft.v1.WorkflowService", "weft.v1.WorkerService", "weft.testing.v1.TestService",
            "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection",
        ] {
            #expect(index.serviceNames.contains(service))
        }
    }

    @Test("Resolves symbols with protobuf scoping and ignores a leading dot")
    func symbols() {
        #expect(
            index.file(containingSymbol: "grpc.health.v1.HealthCheckResponse.SERVING") == "grpc/health/v1/health.proto"
        )
        #expect(
            index.file(containingSymbol: "grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING")
                == "grpc/health/v1/health.proto"
        )
        #expect(index.file(containingSymbol: ".weft.v1.TaskSpec") == "weft/v1/workflow.proto")
        #expect(index.file(containingSymbol: "google.protobuf.BoolValue.value") == "google/protobuf/wrappers.proto")
        #expect(index.file(containingSymbol: "weft.v1") == nil)
        #expect(index.file(containingSymbol: "grpc.health.v1.SERVING") == nil)
        #expect(index.isMessageType("weft.v1.TaskSpec"))
        #expect(!index.isMessageType("weft.v1.Complexity"))
        #expect(index.extensionNumbers(of: "weft.v1.TaskSpec") == [])
        #expect(index.extensionNumbers(of: "weft.v1.Nope") == nil)
    }

    @Test("Lists a file's transitive dependencies once, breadth first, leaving out those already sent")
    func transitiveDependencies() {
        #expect(
            index.fileWithDependencies("weft/v1/worker.proto", excluding: []) == [
                "weft/v1/worker.proto", "weft/v1/workflow.proto", "google/protobuf/wrappers.proto",
            ]
        )
        #expect(
            index.fileWithDependencies("weft/v1/worker.proto", excluding: ["weft/v1/workflow.proto"]) == [
                "weft/v1/worker.proto", "google/protobuf/wrappers.proto",
            ]
        )
        #expect(
            index.fileWithDependencies("weft/v1/workflow.proto", excluding: ["weft/v1/workflow.proto"]) == [
                "weft/v1/workflow.proto", "google/protobuf/wrappers.proto",
            ]
        )
        #expect(index.fileWithDependencies("nope.proto", excluding: []) == [])
    }

    @Test("Indexes nested extensions, extension ranges and enum values of a hand-built set")
    func handBuilt() throws {
        // package p; message M { extensions 100 to 200; enum E { A = 0; } message N { } }
        // message X { extend M { int32 ext = 100; } }  extend M { int32 top = 101; }
        let m = message("M", [field(5, message([]))] + [field(4, enumeration("E", ["A"])), field(3, message("N", []))])
        let x = message("X", [field(6, extensionField("ext", extendee: ".p.M", number: 100))])
        let file = fileProto(
            "p/a.proto",
            package: "p",
            [
                field(4, m), field(4, x), field(7, extensionField("top", extendee: ".p.M", number: 101)),
            ]
        )
        let index = try DescriptorIndex(fileDescriptorSet: field(1, file))
        #expect(index.extendableMessageTypes == ["p.M"])
        #expect(index.extensionNumbers(of: "p.M") == [100, 101])
        #expect(index.file(containingExtension: 100, of: "p.M") == "p/a.proto")
        #expect(index.file(containingExtension: 102, of: "p.M") == nil)
        for symbol in ["p.M", "p.M.E", "p.M.A", "p.M.E.A", "p.M.N", "p.X", "p.X.ext", "p.top"] {
            #expect(index.file(containingSymbol: symbol) == "p/a.proto", "\(symbol)")
        }
    }

    @Test("Rejects a malformed set, a nameless file and a file named twice")
    func malformed() throws {
        #expect(throws: DescriptorIndex.ParseError.self) {
            try DescriptorIndex(fileDescriptorSet: [0x0A, 0x05, 0x0A])
        }
        #expect(throws: DescriptorIndex.ParseError.self) {
            try DescriptorIndex(fileDescriptorSet: field(1, fileProto("", package: "p", [])))
        }
        let file = field(1, fileProto("a.proto", package: "p", []))
        #expect(throws: DescriptorIndex.ParseError.self) {
            try DescriptorIndex(fileDescriptorSet: file + file)
        }
        #expect(try DescriptorIndex(fileDescriptorSet: []).fileNames.isEmpty)
    }
}

// MARK: - Building descriptor protos by hand

private func varint(_ value: UInt64) -> [UInt8] {
    var value = value
    var bytes: [UInt8] = []
    while value >= 0x80 {
        bytes.append(UInt8(value & 0x7F) | 0x80)
        value >>= 7
    }
    return bytes + [UInt8(value)]
}

private func field(_ number: UInt64, _ payload: [UInt8]) -> [UInt8] {
    varint(number << 3 | 2) + varint(UInt64(payload.count)) + payload
}

private func field(_ number: UInt64, _ text: String) -> [UInt8] {
    field(number, Array(text.utf8))
}

private func message(_ fields: [[UInt8]]) -> [UInt8] {
    fields.flatMap { $0 }
}

private func message(_ name: String, _ fields: [[UInt8]]) -> [UInt8] {
    field(1, name) + message(fields)
}

private func enumeration(_ name: String, _ values: [String]) -> [UInt8] {
    field(1, name) + values.flatMap { field(2, field(1, $0)) }
}

private func extensionField(_ name: String, extendee: String, number: UInt64) -> [UInt8] {
    field(1, name) + field(2, extendee) + varint(3 << 3) + varint(number)
}

private func fileProto(_ name: String, package: String, _ fields: [[UInt8]]) -> [UInt8] {
    (name.isEmpty ? [] : field(1, name)) + field(2, package) + message(fields)
}
