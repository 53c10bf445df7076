import Testing
import WeftHTTP2

@Suite("MetadataBase64")
struct MetadataBase64Tests {
    private static let rfc4648: [(String, String)] = [
        ("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE"),
        ("foobar", "Zm9vYmFy"),
    ]

    @Test("padded and unpadded input decode alike")
    func paddedAndUnpadded() {
        #expect(MetadataBase64.decode(Array("AAEC/w==".utf8)) == [0, 1, 2, 0xFF])
        #expect(MetadataBase64.decode(Array("AAEC/w".utf8)) == [0, 1, 2, 0xFF])
        #expect(MetadataBase64.decode(Array("Zm8=".utf8)) == Array("fo".utf8))
        #expect(MetadataBase64.decode(Array("Zm8".utf8)) == Array("fo".utf8))
        #expect(MetadataBase64.decode(Array("".utf8)) == [])
    }

    @Test("the RFC 4648 vectors decode, padded or not")
    func rfcVectors() {
        for (plain, unpadded) in Self.rfc4648 {
            let padded = unpadded + String(repeating: "=", count: (4 - unpadded.count % 4) % 4)
            #expect(MetadataBase64.decode(Array(unpadded.utf8)) == Array(plain.utf8))
            #expect(MetadataBase64.decode(Array(padded.utf8)) == Array(plain.utf8))
        }
    }

    @Test("comma-joined values (a repeated key) are decoded separately and concatenated")
    func commaJoined() {
        #expect(MetadataBase64.decode(Array("AAEC/w==,AQ".utf8)) == [0, 1, 2, 0xFF, 1])
        #expect(MetadataBase64.decode(Array("AAEC/w, AQ==".utf8)) == [0, 1, 2, 0xFF, 1])
        #expect(MetadataBase64.decode(Array("Zg,Zg,Zg".utf8)) == Array("fff".utf8))
    }

    @Test(
        "invalid characters or data after padding give nil",
        arguments: ["AA*C", "AA-_", "A", "AA=A", "Zm9v\n", "Zm 9v", "é"]
    )
    func invalid(value: String) {
        #expect(MetadataBase64.decode(Array(value.utf8)) == nil)
    }

    @Test("encode emits unpadded standard base64")
    func encodesUnpadded() {
        for (plain, unpadded) in Self.rfc4648 {
            #expect(MetadataBase64.encode(Array(plain.utf8)) == unpadded)
        }
        #expect(MetadataBase64.encode([0, 1, 2, 0xFF]) == "AAEC/w")
        #expect(MetadataBase64.encode([0xFB, 0xFF]) == "+/8")
    }

    @Test("random byte arrays of every length 0...40 round-trip")
    func roundTrip() throws {
        var generator = SplitMix64(seed: 0xB64)
        for length in 0...40 {
            for _ in 0..<8 {
                let bytes = (0..<length).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
                let encoded = MetadataBase64.encode(bytes)
                #expect(!encoded.contains("="))
                #expect(encoded.utf8.count == (length * 4 + 2) / 3)
                #expect(MetadataBase64.decode(Array(encoded.utf8)) == bytes, "length \(length)")
            }
        }
    }
}
