internal import CZlib

/// Per-message compression (grpc/grpc `doc/compression.md`): identity, gzip and deflate (zlib format).
///
/// Each message gets a fresh zlib stream: compression contexts are not kept across message boundaries.
/// Decompressed output is bounded so a small compressed message cannot expand past the receive limit.
enum MessageCompression: String, Sendable, CaseIterable {
    case identity
    case gzip
    case deflate

    /// The value of `grpc-accept-encoding` the server advertises.
    static let acceptEncodingHeader = "gzip,deflate,identity"

    init?(header: String) {
        self.init(rawValue: header.lowercased())
    }

    /// zlib's window bits: 15 for the zlib format, +16 for gzip framing.
    private var windowBits: Int32 { self == .gzip ? 15 + 16 : 15 }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Inflates one message; throws when the data is corrupt or inflates past `limit` bytes.
    func decompress(_ input: [UInt8], limit: Int) throws -> [UInt8] {
        if self == .identity { return input }
        var stream = z_stream()
        guard inflateInit2_(&stream, windowBits, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw Failure(description: "zlib inflateInit failed")
        }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        var finished = false
        try input.withUnsafeBufferPointer { inBuffer in
            stream.next_in = UnsafeMutablePointer(mutating: inBuffer.baseAddress)
            stream.avail_in = UInt32(inBuffer.count)
            while !finished {
                let (status, produced) = chunk.withUnsafeMutableBufferPointer { out -> (Int32, Int) in
                    stream.next_out = out.baseAddress
                    stream.avail_out = UInt32(out.count)
                    let status = inflate(&stream, Z_NO_FLUSH)
                    return (status, out.count - Int(stream.avail_out))
                }
                output.append(contentsOf: chunk[0..<produced])
                if output.count > limit {
                    throw Failure(description: "decompressed message larger than max (more than \(limit) bytes)")
                }
                switch status {
                case Z_STREAM_END: finished = true
                case Z_OK: if produced == 0 && stream.avail_in == 0 { throw Failure(description: "truncated \(rawValue) data") }
                case Z_BUF_ERROR: if stream.avail_in == 0 { throw Failure(description: "truncated \(rawValue) data") }
                default: throw Failure(description: "corrupt \(rawValue) data (zlib error \(status))")
                }
            }
        }
        return output
    }

    /// Deflates one message.
    func compress(_ input: [UInt8]) -> [UInt8] {
        if self == .identity { return input }
        var stream = z_stream()
        guard deflateInit2_(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY,
                            zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return input }
        defer { deflateEnd(&stream) }
        let bound = Int(deflateBound(&stream, UInt(input.count))) + 32
        var output = [UInt8](repeating: 0, count: bound)
        let written = input.withUnsafeBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { out -> Int in
                stream.next_in = UnsafeMutablePointer(mutating: inBuffer.baseAddress)
                stream.avail_in = UInt32(inBuffer.count)
                stream.next_out = out.baseAddress
                stream.avail_out = UInt32(out.count)
                _ = CZlib.deflate(&stream, Z_FINISH)
                return out.count - Int(stream.avail_out)
            }
        }
        output.removeSubrange(written...)
        return output
    }
}
