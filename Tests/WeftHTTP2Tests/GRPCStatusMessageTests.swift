import Testing
import WeftHTTP2

@Suite("GRPCStatusMessage")
struct GRPCStatusMessageTests {
    private static let interop = "\t\ntest with whitespace\r\nand Unicode BMP ☺ and non-BMP 😈\t\n"

    @Test("printable ASCII other than % is left alone")
    func printableUnchanged() {
        let printable = String(decoding: (0x20...0x7E).filter { $0 != UInt8(ascii: "%") }, as: UTF8.self)
        #expect(GRPCStatusMessage.encode(printable) == printable)
        #expect(GRPCStatusMessage.encode("") == "")
    }

    @Test("%, control characters and non-ASCII UTF-8 bytes are percent-encoded in upper-case hex")
    func escapes() {
        #expect(GRPCStatusMessage.encode("100%") == "100%25")
        #expect(GRPCStatusMessage.encode("a\nb") == "a%0Ab")
        #expect(GRPCStatusMessage.encode("\r\t\u{0}\u{7F}") == "%0D%09%00%7F")
        #expect(GRPCStatusMessage.encode("é") == "%C3%A9")
        #expect(GRPCStatusMessage.encode("☺") == "%E2%98%BA")
        #expect(GRPCStatusMessage.encode("😈") == "%F0%9F%98%88")
    }

    @Test("decode reverses encode, accepting lower-case hex too")
    func decodes() {
        #expect(GRPCStatusMessage.decode(Array("100%25".utf8)) == "100%")
        #expect(GRPCStatusMessage.decode(Array("a%0Ab".utf8)) == "a\nb")
        #expect(GRPCStatusMessage.decode(Array("%c3%a9".utf8)) == "é")
        #expect(GRPCStatusMessage.decode(Array("plain text".utf8)) == "plain text")
    }

    @Test("the interop special_status_message string round-trips exactly and encodes to printable ASCII")
    func interopRoundTrip() {
        let encoded = GRPCStatusMessage.encode(Self.interop)
        #expect(encoded.utf8.allSatisfy { $0 >= 0x20 && $0 <= 0x7E })
        #expect(GRPCStatusMessage.decode(Array(encoded.utf8)) == Self.interop)
    }

    @Test("every ASCII character and scalars of each UTF-8 length round-trip")
    func everyScalarRoundTrips() {
        let all = String(decoding: Array(0...0x7F) as [UInt8], as: UTF8.self) + "ÿĀ߿ࠀ￿𐀀"
        #expect(GRPCStatusMessage.decode(Array(GRPCStatusMessage.encode(all).utf8)) == all)
    }

    @Test("malformed escapes decode as themselves", arguments: ["%", "%4", "%zz", "%4g", "abc%", "%%41", "a%2"])
    func malformedEscapes(value: String) {
        let expected = value == "%%41" ? "%A" : value
        #expect(GRPCStatusMessage.decode(Array(value.utf8)) == expected)
    }
}
