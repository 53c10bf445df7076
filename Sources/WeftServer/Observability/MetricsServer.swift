public import NIOCore
import NIOHTTP1
import NIOPosix
public import Prometheus

/// A tiny plain HTTP/1.1 server for Prometheus: `GET /metrics` renders the registry in the text format 0.0.4;
/// every other path is 404 and every other method 405. It shares nothing with the gRPC port.
public final class MetricsServer: Sendable {
    private let registry: PrometheusCollectorRegistry
    private let group: any EventLoopGroup
    private let onScrape: @Sendable () -> Void

    /// Serves `registry` on `group` (`nil`: NIO's shared singleton group). `onScrape` runs before each render,
    /// to bring sampled gauges up to date.
    public init(
        registry: PrometheusCollectorRegistry, group: (any EventLoopGroup)? = nil,
        onScrape: @escaping @Sendable () -> Void = {}
    ) {
        self.registry = registry
        self.group = group ?? MultiThreadedEventLoopGroup.singleton
        self.onScrape = onScrape
    }

    /// Binds and serves until the calling task is cancelled. `onBound` runs once the port accepts connections.
    public func run(host: String, port: Int, onBound: @Sendable (SocketAddress) -> Void = { _ in }) async throws {
        let (registry, onScrape) = (registry, onScrape)
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(
                        MetricsHTTPHandler(registry: registry, onScrape: onScrape))
                }
            }
            .bind(host: host, port: port).get()
        if let address = channel.localAddress { onBound(address) }
        await withTaskCancellationHandler {
            try? await channel.closeFuture.get()
        } onCancel: {
            channel.close(promise: nil)
        }
    }
}

/// Answers one request at a time on one connection (HTTP/1.1 keep-alive is honoured).
private final class MetricsHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let registry: PrometheusCollectorRegistry
    private let onScrape: @Sendable () -> Void
    private var head: HTTPRequestHead?

    init(registry: PrometheusCollectorRegistry, onScrape: @escaping @Sendable () -> Void) {
        self.registry = registry
        self.onScrape = onScrape
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body:
            break
        case .end:
            guard let head else { return }
            self.head = nil
            respond(to: head, context: context)
        }
    }

    private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let status: HTTPResponseStatus
        var body: [UInt8] = []
        var contentType = "text/plain; charset=utf-8"
        if path != "/metrics" {
            status = .notFound
            body = Array("not found: try /metrics\n".utf8)
        } else if head.method != .GET && head.method != .HEAD {
            status = .methodNotAllowed
            body = Array("method not allowed\n".utf8)
        } else {
            status = .ok
            contentType = "text/plain; version=0.0.4; charset=utf-8"
            if head.method == .GET {
                onScrape()
                registry.emit(into: &body)
            }
        }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: "\(body.count)")
        let keepAlive = head.isKeepAlive
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))),
                      promise: nil)
        if !body.isEmpty {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        }
        let done = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: done)
        if !keepAlive {
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            done.futureResult.whenComplete { _ in bound.value.close(promise: nil) }
        }
    }
}
