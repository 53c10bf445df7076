import CHiredis
import CNGHTTP2
import CProtobufC
import CZlib
import Testing

/// The C libraries link and are the versions whose APIs the transport and codecs were written against.
@Suite("C libraries")
struct CLibrariesTests {
    @Test("nghttp2 is the 1.52 API or newer")
    func nghttp2Version() throws {
        let info = try #require(nghttp2_version(0))
        let version = info.pointee.version_num
        #expect(version >= 0x013400, "nghttp2 \(String(cString: info.pointee.version_str)) is older than 1.52")
    }

    @Test("protobuf-c is 1.4 or newer")
    func protobufCVersion() {
        #expect(protobuf_c_version_number() >= 1_004_000)
    }

    @Test("hiredis is 0.14 or newer and can build a command")
    func hiredisLinks() {
        #expect(HIREDIS_MAJOR >= 1 || (HIREDIS_MAJOR == 0 && HIREDIS_MINOR >= 14))
        // redisFormatCommandArgv is the argv form Weft uses everywhere (never the variadic redisCommand).
        var target: UnsafeMutablePointer<CChar>?
        let argv: [String] = ["PING"]
        let length = argv[0].withCString { arg -> Int64 in
            var args: [UnsafePointer<CChar>?] = [arg]
            var lengths = [4]
            return Int64(redisFormatCommandArgv(&target, 1, &args, &lengths))
        }
        #expect(length == 14)  // "*1\r\n$4\r\nPING\r\n"
        redisFreeCommand(target)
    }

    @Test("zlib is present")
    func zlibVersion() {
        #expect(String(cString: CZlib.zlibVersion()).hasPrefix("1."))
    }
}
