import Testing
import WeftCache

@Suite("HashingEmbedder")
struct HashingEmbedderTests {
    let embedder = HashingEmbedder()

    func similarity(_ a: String, _ b: String) -> Double {
        let ta = CacheText(type: "api", complexity: "MEDIUM", description: a).normalized
        let tb = CacheText(type: "api", complexity: "MEDIUM", description: b).normalized
        return Similarity.cosine(embedder.vector(ta), embedder.vector(tb))
    }

    /// Pairs that must never adapt or reuse each other's result: one word changes what the task does.
    static let mustNotMatch: [(String, String)] = [
        ("create user login endpoint", "create user logout endpoint"),
        ("create the orders table", "delete the orders table"),
        ("write the parser in Python", "write the parser in Go"),
        ("add tests for the auth module", "remove tests for the auth module"),
        ("enable caching for the api", "disable caching for the api"),
        ("encrypt the user passwords", "decrypt the user passwords"),
        ("upload files to s3", "download files from s3"),
        ("sort the list ascending", "sort the list descending"),
        ("use postgresql for storage", "use mongodb for storage"),
        ("build the frontend in react", "build the frontend in vue"),
        ("retry failed requests 3 times", "retry failed requests 5 times"),
        ("validate input with tests", "validate input without tests"),
        ("write unit tests for the parser", "write integration tests for the parser"),
        ("serialize the response to json", "serialize the response to xml"),
        ("grant admin role to the user", "revoke admin role from the user"),
        ("start the background worker", "stop the background worker"),
        ("make the api endpoint public", "make the api endpoint private"),
        ("write a synchronous http client", "write an asynchronous http client"),
        ("create a grpc client", "create a grpc server"),
        ("read the config file", "write the config file"),
        ("import users from csv", "export users to csv"),
        ("migrate the database schema up", "migrate the database schema down"),
        ("write the parser", "write tests for the parser"),
        ("fix the login bug", "fix the logout bug"),
        ("increase the timeout to 30 seconds", "decrease the timeout to 30 seconds"),
        ("create a rest api for orders", "create a graphql api for orders"),
        ("store sessions in redis", "store sessions in postgres"),
        ("create a dockerfile for the python service", "create a dockerfile for the go service"),
        (
            "create user login endpoint with rate limiting audit logging and email notifications for the admin dashboard",
            "create user logout endpoint with rate limiting audit logging and email notifications for the admin dashboard"
        ),
        (
            "implement jwt token validation middleware for the fastapi backend with redis session storage",
            "implement jwt token validation middleware for the django backend with redis session storage"
        ),
        (
            "add pagination to the list users endpoint and return 20 items per page",
            "add pagination to the list users endpoint and return 50 items per page"
        ),
    ]

    /// Paraphrases the original platform expects to benefit from the cache (adapt or reuse).
    static let paraphrases: [(String, String)] = [
        ("Create user login endpoint", "Create user authentication endpoint"),
        ("Implement the user registration endpoint", "Create the user registration endpoint"),
        ("Write unit tests for the parser", "Add unit tests for the parser"),
        ("Create users table", "Create the user table"),
        ("Create an endpoint for user login", "Create user login endpoint"),
        ("create user signup endpoint", "create user registration endpoint"),
        ("Set up PostgreSQL database schema for users", "Setup Postgres database schema for users"),
        ("delete the orders table", "drop the orders table"),
        ("Create REST API endpoints for blog posts", "Create REST API endpoint for blog posts"),
    ]

    @Test("pairs that must not match stay below the adapt threshold 0.85", arguments: mustNotMatch)
    func precision(a: String, b: String) {
        let value = similarity(a, b)
        #expect(value < 0.85, "similarity \(value) for \"\(a)\" vs \"\(b)\"")
    }

    @Test("paraphrases reach the adapt threshold 0.85", arguments: paraphrases)
    func paraphrase(a: String, b: String) {
        let value = similarity(a, b)
        #expect(value >= 0.85, "similarity \(value) for \"\(a)\" vs \"\(b)\"")
    }

    @Test("different objects of the same action do not reach reuse")
    func differentObjectsDoNotReuse() {
        for (a, b) in [
            ("create the users table", "create the orders table"), ("write the parser", "write the lexer"),
            ("create user login endpoint", "create admin login endpoint"),
        ] {
            let value = similarity(a, b)
            #expect(value < 0.95, "similarity \(value) for \"\(a)\" vs \"\(b)\"")
        }
        #expect(similarity("create user login endpoint", "design the landing page") < 0.5)
    }

    @Test("texts equal after normalization have similarity 1")
    func identicalAfterNormalization() {
        #expect(similarity("Create user login endpoint", "  create USER login endpoint! ") == 1)
    }

    @Test("vectors are deterministic, 384-dimensional and unit length")
    func vectors() async throws {
        #expect(embedder.modelID == "weft-hash-v1-384")
        let texts = ["api|medium|create user login endpoint", "tests|simple|", "database|complex|set up the schema"]
        let first = try await embedder.embed(texts)
        let second = try await HashingEmbedder().embed(texts)
        #expect(first == second)
        #expect(first.allSatisfy { $0.count == 384 })
        #expect(abs(referenceDot(first[0], first[0]) - 1) < 1e-5)
        #expect(first[1].allSatisfy { $0 == 0 } == false)  // the header fields still give features
        #expect(embedder.vector("").allSatisfy { $0 == 0 })
    }

    @Test("type and complexity take part in the similarity")
    func fields() {
        let a = embedder.vector(
            CacheText(type: "api", complexity: "MEDIUM", description: "create the parser").normalized
        )
        let b = embedder.vector(
            CacheText(type: "tests", complexity: "MEDIUM", description: "create the parser").normalized
        )
        let value = Similarity.cosine(a, b)
        #expect(value < 1 && value > 0.85, "\(value)")
    }
}
