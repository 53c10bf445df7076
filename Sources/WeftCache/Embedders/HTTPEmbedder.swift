public import Foundation
#if canImport(FoundationNetworking)
public import FoundationNetworking
#endif

/// An OpenAI-compatible embeddings endpoint: `POST {baseURL}/v1/embeddings` with
/// `{"model": NAME, "input": [TEXT, …]}`, answered by `{"data": [{"embedding": [FLOAT, …], "index": I}, …]}` — the
/// format of OpenAI and of common local servers (text-embeddings-inference, llama.cpp, Ollama, vLLM, LocalAI).
///
/// Vectors are L2-normalized here whatever the server does, ordered by `index`, and checked: one per input, each of
/// `dimensions` finite floats. Anything else — connection failure, non-2xx status, a reply that is not that JSON, no
/// complete reply within `timeout` — throws ``EmbedderError``, which the cache turns into a miss and a warning.
/// The model id is `"openai:{model}"`: entries of different models never share a namespace.
public struct HTTPEmbedder: Embedder {
    /// Where and how to call the endpoint.
    public struct Configuration: Sendable, Hashable {
        /// The server's base URL (`http://127.0.0.1:8080`); `/v1/embeddings` is appended.
        public var baseURL: URL
        /// The `model` field of the request.
        public var model: String
        /// The length of the model's vectors.
        public var dimensions: Int
        /// Limit for the whole request (connect, send, receive). Default 10 s.
        public var timeout: Duration
        /// Sent as `Authorization: Bearer …` when set.
        public var apiKey: String?

        /// Creates a configuration.
        public init(
            baseURL: URL,
            model: String,
            dimensions: Int,
            timeout: Duration = .seconds(10),
            apiKey: String? = nil
        ) {
            self.baseURL = baseURL
            self.model = model
            self.dimensions = dimensions
            self.timeout = timeout
            self.apiKey = apiKey
        }
    }

    /// The endpoint configuration.
    public let configuration: Configuration
    /// `"openai:{model}"`.
    public var modelID: String { "openai:\(configuration.model)" }
    /// ``Configuration/dimensions``.
    public var dimensions: Int { configuration.dimensions }
    private let session: URLSession

    /// A client for `configuration`, on its own ephemeral `URLSession` unless one is given.
    public init(configuration: Configuration, session: URLSession? = nil) {
        self.configuration = configuration
        if let session {
            self.session = session
        } else {
            let sessionConfiguration = URLSessionConfiguration.ephemeral
            sessionConfiguration.timeoutIntervalForRequest = configuration.timeout.seconds
            sessionConfiguration.timeoutIntervalForResource = configuration.timeout.seconds
            self.session = URLSession(configuration: sessionConfiguration)
        }
    }

    /// Embeds `texts` in one request.
    public func embed(_ texts: [String]) async throws -> [[Float]] {
        if texts.isEmpty { return [] }
        let request = try makeRequest(texts)
        let (data, response) = try await PendingRequest.run(request, on: session, timeout: configuration.timeout)
        if let http = response as? HTTPURLResponse, !(200..<300).contains(http.statusCode) {
            let body = String(decoding: data.prefix(200), as: UTF8.self)
            throw EmbedderError(
                .httpStatus(http.statusCode),
                "embeddings endpoint answered \(http.statusCode): \(body)"
            )
        }
        return try decode(data, count: texts.count)
    }

    private func makeRequest(_ texts: [String]) throws -> URLRequest {
        let url = configuration.baseURL.appendingPathComponent("v1").appendingPathComponent("embeddings")
        guard url.scheme == "http" || url.scheme == "https" else {
            throw EmbedderError(.invalidConfiguration, "embedder URL must be http or https: \(configuration.baseURL)")
        }
        var request = URLRequest(url: url, timeoutInterval: configuration.timeout.seconds)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        if let apiKey = configuration.apiKey {
            request.setValue("Bearer \(apiKey)", forHTTPHeaderField: "Authorization")
        }
        request.httpBody = try JSONEncoder().encode(EmbeddingsRequest(model: configuration.model, input: texts))
        return request
    }

    private func decode(_ data: Data, count: Int) throws -> [[Float]] {
        let reply: EmbeddingsReply
        do {
            reply = try JSONDecoder().decode(EmbeddingsReply.self, from: data)
        } catch {
            let start = String(decoding: data.prefix(120), as: UTF8.self)
            throw EmbedderError(.malformedReply, "embeddings reply is not the expected JSON (\(start))", cause: error)
        }
        guard reply.data.count == count else {
            throw EmbedderError(.malformedReply, "embeddings reply has \(reply.data.count) vectors for \(count) inputs")
        }
        var vectors = [[Float]?](repeating: nil, count: count)
        for (position, item) in reply.data.enumerated() {
            let index = item.index ?? position
            guard (0..<count).contains(index), vectors[index] == nil else {
                throw EmbedderError(.malformedReply, "embeddings reply item \(position) has a bad index \(index)")
            }
            guard item.embedding.count == dimensions else {
                throw EmbedderError(
                    .malformedReply,
                    "embedding \(index) has \(item.embedding.count) dimensions, expected \(dimensions)"
                )
            }
            guard item.embedding.allSatisfy(\.isFinite) else {
                throw EmbedderError(.malformedReply, "embedding \(index) has a non-finite value")
            }
            vectors[index] = Similarity.normalized(item.embedding)
        }
        return vectors.map { $0! }
    }
}

private struct EmbeddingsRequest: Encodable {
    var model: String
    var input: [String]
}

private struct EmbeddingsReply: Decodable {
    struct Item: Decodable {
        var embedding: [Float]
        var index: Int?
    }

    var data: [Item]
}

extension Duration {
    /// The duration in seconds, as `TimeInterval`.
    fileprivate var seconds: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
