import Testing
import WeftRPC

@Suite("Metadata")
struct MetadataTests {
    @Test("keys are lower-cased by every way of adding them")
    func lowerCasesKeys() {
        var metadata = Metadata([("X-Request-ID", "abc")])
        metadata.add("X-Trace", "t1")
        metadata.add("X-Data-Bin", bytes: [1, 2])
        #expect(metadata.map(\.key) == ["x-request-id", "x-trace", "x-data-bin"])
        #expect(metadata.first("x-request-id") == "abc")
        #expect(metadata.first("x-trace") == "t1")
    }

    @Test("entries keep insertion order, including repeated keys")
    func keepsOrder() {
        var metadata = Metadata()
        metadata.add("b", "1")
        metadata.add("a", "2")
        metadata.add("b", "3")
        #expect(metadata.map(\.key) == ["b", "a", "b"])
        #expect(metadata.values("b") == [.string("1"), .string("3")])
        #expect(metadata.first("b") == "1")
        #expect(metadata.count == 3)
        #expect(!metadata.isEmpty)
    }

    @Test("first returns the first text value and skips binary ones; absent keys give nil")
    func firstSkipsBinary() {
        var metadata = Metadata()
        metadata.add("k", bytes: [0xFF])
        metadata.add("k", "text")
        #expect(metadata.first("k") == "text")
        #expect(metadata.first("missing") == nil)
        #expect(metadata.values("missing").isEmpty)
    }

    @Test("binary values are kept as bytes")
    func binaryValues() {
        var metadata = Metadata()
        metadata.add("x-data-bin", bytes: [0, 1, 2, 0xFF])
        #expect(metadata.values("x-data-bin") == [.binary([0, 1, 2, 0xFF])])
        #expect(metadata.first("x-data-bin") == nil)
    }

    @Test("empty metadata is empty")
    func empty() {
        let metadata = Metadata()
        #expect(metadata.isEmpty)
        #expect(metadata.count == 0)
        #expect(Array(metadata).isEmpty)
    }
}
