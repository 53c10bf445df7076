import NIOCore

/// What the server and client connection handlers share: feeding reads to their nghttp2 session and flushing
/// its output at the end of each read burst and whenever the channel becomes writable again.
protocol NGHTTP2ChannelHandler: ChannelInboundHandler where InboundIn == ByteBuffer {
    var session: NGHTTP2Session! { get }
    /// Sends what the session has queued.
    func flush()
}

extension NGHTTP2ChannelHandler {
    /// Feeds received bytes to the session; returns the fatal error, if any.
    func feed(_ buffer: ByteBuffer) -> NGHTTP2Session.Failure? {
        var failure: NGHTTP2Session.Failure?
        buffer.withUnsafeReadableBytes { bytes in
            do throws(NGHTTP2Session.Failure) {
                try session.receive(bytes)
            } catch {
                failure = error
            }
        }
        return failure
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flush()
        context.fireChannelReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { flush() }
        context.fireChannelWritabilityChanged()
    }
}
