import NIOCore

/// Moves what an nghttp2 session has queued onto the socket: gathered into one buffer, written in chunks of up
/// to 256 KiB while the channel is writable, flushed once per call.
///
/// A write can re-enter (NIO reports writability changes synchronously), so a nested call only marks that
/// another pass is due; the outer call makes it.
final class SessionOutput {
    private var buffer: ByteBuffer
    private var flushing = false
    private var again = false

    init() {
        buffer = ByteBufferAllocator().buffer(capacity: 16 * 1024)
    }

    /// Returns false when the session hit a fatal error (the caller closes the connection).
    func flush(_ session: NGHTTP2Session, to context: ChannelHandlerContext, whileWritable: Bool = true) -> Bool {
        if flushing {
            again = true
            return true
        }
        flushing = true
        defer { flushing = false }
        var ok = true
        repeat {
            again = false
            while ok && (!whileWritable || context.channel.isWritable) {
                ok = session.drain { bytes in
                    buffer.writeBytes(bytes)
                    return buffer.readableBytes < 256 * 1024
                }
                if buffer.readableBytes == 0 { break }
                let chunk = buffer
                buffer = context.channel.allocator.buffer(capacity: 16 * 1024)
                context.writeAndFlush(NIOAny(chunk), promise: nil)
            }
        } while again && ok
        return ok
    }
}
