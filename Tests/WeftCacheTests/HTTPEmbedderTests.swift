import Foundation
import Synchronization
import Testing
import WeftCache

@Suite("HTTPEmbedder against a local stub server")
struct HTTPEmbedderTests {
    func embedder(_ server: StubHTTPServer, dimensions: Int = 3, timeout: Duration = .seconds(5)) -> HTTPEmbedder {
        HTTPEmbedder(
            configuration: .init(baseURL: server.url, model: "test-model", dimensions: dimensions, timeout: timeout)
        )
    }

    @Test("a reply is decoded in index order and L2-normalized; the request is OpenAI's")
    func success() async throws {
        let server = try StubHTTPServer { path, _ in
            guard path == "/v1/embeddings" else { return .init(status: 404, body: "{}") }
            return .init(
                body:
                    #"{"object":"list","data":[{"embedding":[0,0,2],"index":1},{"embedding":[3,4,0],"index":0}],"model":"test-model"}"#
            )
        }
        defer { server.stop() }
        let vectors = try await embedder(server).embed(["first", "second"])
        #expect(vectors == [[0.6, 0.8, 0], [0, 0, 1]])
        let request = try #require(server.requests.withLock { $0.first })
        let json = try #require(try JSONSerialization.jsonObject(with: Data(request.utf8)) as? [String: Any])
        #expect(json["model"] as? String == "test-model")
        #expect(json["input"] as? [String] == ["first", "second"])
        #expect(embedder(server).modelID == "openai:test-model")
    }

    @Test("no reply within the timeout throws a timeout error")
    func timeout() async throws {
        let server = try StubHTTPServer { _, _ in .init(body: #"{"data":[]}"#, delay: .seconds(10)) }
        defer { server.stop() }
        let started = ContinuousClock.now
        let error = await #expect(throws: EmbedderError.self) {
            try await embedder(server, timeout: .milliseconds(300)).embed(["slow"])
        }
        #expect(error?.code == .timeout)
        // Well before the server's reply: the call does not wait for it (the margin absorbs a busy test machine).
        #expect(started.duration(to: .now) < .seconds(8))
    }

    @Test(
        "malformed replies throw malformedReply",
        arguments: [
            "not json at all",
            #"{"nodata":[]}"#,
            #"{"data":[{"embedding":[1,2],"index":0}]}"#,
            #"{"data":[{"embedding":[1,2,3],"index":0},{"embedding":[1,2,3],"index":0}]}"#,
            #"{"data":[{"embedding":[1,"x",3],"index":0}]}"#,
            #"{"data":[{"index":0}]}"#,
        ]
    )
    func malformed(body: String) async throws {
        let server = try StubHTTPServer { _, _ in .init(body: body) }
        defer { server.stop() }
        let error = await #expect(throws: EmbedderError.self) {
            try await embedder(server).embed(["text"])
        }
        #expect(error?.code == .malformedReply, "\(String(describing: error))")
    }

    @Test("a non-2xx status throws httpStatus")
    func httpError() async throws {
        let server = try StubHTTPServer { _, _ in .init(status: 503, body: #"{"error":"overloaded"}"#) }
        defer { server.stop() }
        let error = await #expect(throws: EmbedderError.self) { try await embedder(server).embed(["text"]) }
        #expect(error?.code == .httpStatus(503))
    }

    @Test("a refused connection throws a transport error")
    func refused() async throws {
        let server = try StubHTTPServer { _, _ in .init(body: "{}") }
        server.stop()
        let error = await #expect(throws: EmbedderError.self) { try await embedder(server).embed(["text"]) }
        #expect(error?.code == .transport || error?.code == .timeout)
    }

    @Test("the cache turns an embedder timeout into a miss and a warning")
    func cacheDegradesToMiss() async throws {
        let server = try StubHTTPServer { _, _ in .init(body: "{}", delay: .seconds(2)) }
        defer { server.stop() }
        let warnings = Mutex<[String]>([])
        let cache = SemanticCache(
            store: InMemoryCacheStore(dimensions: 3),
            embedder: embedder(server, timeout: .milliseconds(200)),
            onWarning: { message in warnings.withLock { $0.append(message) } }
        )
        #expect(await cache.lookup(.task("anything")).decision == .miss)
        #expect(warnings.withLock { $0.count } == 1)
    }

    @Test("a working endpoint serves the cache end to end")
    func cacheWithHTTPEmbedder() async throws {
        let server = try StubHTTPServer { _, body in
            // Same vector for every input: any stored entry is the nearest.
            let inputs =
                (try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])?["input"] as? [Any]
            let items = (0..<(inputs?.count ?? 1)).map { #"{"embedding":[1,1,0],"index":\#($0)}"# }
            return .init(body: #"{"data":[\#(items.joined(separator: ","))]}"#)
        }
        defer { server.stop() }
        let cache = SemanticCache(store: InMemoryCacheStore(dimensions: 3), embedder: embedder(server))
        await cache.store("r", for: .task("first text"), source: "w/t", originalDuration: .seconds(3))
        let decision = await cache.lookup(.task("second text")).decision
        #expect(decision.outcome == .reused)
        #expect(decision.entry?.modelID == "openai:test-model")
    }
}
