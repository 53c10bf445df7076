/// The fixed word tables of ``HashingEmbedder`` (part of its model: changing them means a new `modelID`).
enum HashingLexicon {
    /// Words with no features: articles, most prepositions and conjunctions, filler verbs. Negations (no, not,
    /// without) are *not* here: they are contrast words.
    static let stopWords: Set<String> = [
        "a", "an", "the", "of", "for", "to", "in", "on", "at", "by", "from", "into", "onto", "with", "and", "or",
        "is", "are", "be", "been", "that", "this", "these", "those", "it", "its", "as", "using", "use", "via", "so",
        "then", "all", "some", "please", "should", "must", "will", "can", "which", "we", "our", "you", "your",
    ]

    /// Two-word phrases folded into one word before anything else.
    static let phrases: [String: String] = [
        "log in": "login", "sign in": "login", "log on": "login", "log out": "logout", "sign out": "logout",
        "log off": "logout", "sign up": "signup", "set up": "setup", "end to end": "e2e", "node js": "javascript",
        "c sharp": "c#", "f sharp": "f#", "ruby on": "ruby",
    ]

    /// Synonyms folded onto one canonical word.
    static let synonyms: [String: String] = {
        let groups: [String: [String]] = [
            "create": [
                "add", "build", "implement", "write", "make", "generate", "develop", "new", "introduce",
                "scaffold", "setup", "creation",
            ],
            "delete": ["remove", "drop", "destroy", "erase", "purge", "deletion", "removal"],
            "update": ["modify", "change", "edit", "alter"],
            "read": ["fetch", "retrieve", "get", "load", "view"],
            "login": ["signin", "logon", "authenticate", "authentication", "auth", "authn"],
            "logout": ["signout", "logoff"],
            "signup": ["register", "registration", "enroll", "enrol"],
            "authorization": ["authorisation", "authz", "authorize", "authorise", "permission", "permissions"],
            "disable": ["deactivate", "turn off"],
            "enable": ["activate"],
            "deny": ["block", "forbid", "reject", "disallow"],
            "allow": ["permit", "accept"],
            "decrease": ["reduce", "lower", "shrink"],
            "increase": ["raise", "grow"],
            "ascending": ["asc"],
            "descending": ["desc"],
            "minimum": ["min"],
            "maximum": ["max"],
            "async": ["asynchronous", "asynchronously", "nonblocking"],
            "sync": ["synchronous", "synchronously", "blocking"],
            "without": ["no", "not", "never", "skip"],
            "python": ["py", "python3"],
            "go": ["golang"],
            "javascript": ["js", "node", "nodejs", "node.js", "ecmascript"],
            "typescript": ["ts"],
            "c++": ["cpp", "cxx"],
            "c#": ["csharp", "dotnet", ".net"],
            "postgres": ["postgresql", "psql", "pg"],
            "mongodb": ["mongo"],
            "kubernetes": ["k8s"],
            "yaml": ["yml"],
            "protobuf": ["proto", "protocol buffers"],
            "e2e": ["end-to-end"],
            "nextjs": ["next.js"],
            "document": ["docs", "doc", "documentation", "readme"],
            "test": ["testing", "tested"],
        ]
        var table: [String: String] = [:]
        for (canonical, words) in groups {
            for word in words { table[word] = canonical }
        }
        return table
    }()

    /// Words whose swap changes what a task does; they weigh 3× in the words block (canonical forms).
    static let contrastWords: Set<String> = [
        // actions and their opposites
        "create", "delete", "update", "read", "enable", "disable", "start", "stop", "restart", "open", "close",
        "lock", "unlock", "encrypt", "decrypt", "encode", "decode", "serialize", "deserialize", "compress",
        "decompress", "upload", "download", "import", "export", "allow", "deny", "grant", "revoke", "increase",
        "decrease", "ascending", "descending", "up", "down", "before", "after", "minimum", "maximum", "async",
        "sync", "public", "private", "valid", "invalid", "without", "success", "failure", "first", "last", "inner",
        "outer", "push", "pull", "send", "receive", "merge", "split", "install", "uninstall", "deploy", "rollback",
        "migrate", "backup", "restore", "validate", "sort", "filter", "refactor", "fix", "test", "document",
        "benchmark",
        "optimize", "mock", "subscribe", "unsubscribe", "follow", "unfollow", "approve", "archive", "publish",
        "unpublish", "hide", "show", "accept", "sign", "verify", "hash", "read-only", "write-only",
        "client", "server", "frontend", "backend", "horizontal", "vertical", "left", "right", "light", "dark",
        // identity and access
        "login", "logout", "signup", "authorization", "admin", "guest", "password", "token", "jwt", "oauth",
        "session", "cookie", "role",
        // test kinds
        "unit", "integration", "e2e", "load", "performance", "smoke", "regression", "snapshot", "fuzz",
        // HTTP methods
        "post", "put", "patch", "head", "options",
        // languages
        "python", "go", "java", "javascript", "typescript", "rust", "ruby", "c", "c++", "c#", "f#", "swift",
        "kotlin", "php", "scala", "haskell", "elixir", "erlang", "perl", "r", "lua", "dart", "bash", "shell",
        "powershell", "sql", "html", "css", "zig", "julia", "clojure", "ocaml", "objective-c", "fortran", "cobol",
        // frameworks and libraries
        "fastapi", "django", "flask", "express", "spring", "rails", "react", "vue", "angular", "svelte", "nextjs",
        "nestjs", "gin", "echo", "fiber", "actix", "axum", "laravel", "symfony", "vapor", "hummingbird", "pytorch",
        "tensorflow", "pandas", "numpy", "jquery", "tailwind", "bootstrap", "grpc", "graphql", "rest", "soap",
        "websocket", "websockets",
        // data stores and infrastructure
        "postgres", "mysql", "mariadb", "sqlite", "mongodb", "redis", "dynamodb", "cassandra", "elasticsearch",
        "kafka", "rabbitmq", "nats", "s3", "memcached", "oracle", "mssql", "aws", "gcp", "azure", "docker",
        "kubernetes", "terraform", "ansible", "nginx", "apache", "linux", "windows", "macos", "ios", "android",
        // formats and protocols
        "json", "xml", "yaml", "csv", "toml", "protobuf", "html", "markdown", "pdf", "http", "https", "tcp", "udp",
        "http2", "http3", "ssh", "ftp", "smtp", "utf-8", "ascii", "binary",
    ]

    /// The tokens of a normalized text: words split at spaces and at inner `-`, `_` and `/`.
    static func tokens(_ normalized: String) -> [String] {
        normalized.split(separator: " ").flatMap { word -> [String] in
            if contrastWords.contains(String(word)) || synonyms[String(word)] != nil { return [String(word)] }
            return word.split(whereSeparator: { $0 == "-" || $0 == "_" || $0 == "/" }).map(String.init)
        }
    }

    static func isStopWord(_ token: String) -> Bool { stopWords.contains(token) }

    /// A contrast word, or any token with a digit in it (versions, counts, limits).
    static func isContrast(_ token: String) -> Bool {
        contrastWords.contains(token) || token.contains(where: \.isNumber)
    }

    /// Phrase folding, stop-word removal, light stemming and synonym folding, in that order.
    static func canonicalize(_ tokens: [String]) -> [String] {
        var merged: [String] = []
        var index = 0
        while index < tokens.count {
            if index + 1 < tokens.count, let phrase = phrases["\(tokens[index]) \(tokens[index + 1])"] {
                merged.append(phrase)
                index += 2
            } else {
                merged.append(tokens[index])
                index += 1
            }
        }
        return merged.filter { !isStopWord($0) }.map { token in
            if let folded = synonyms[token] { return folded }
            let stemmed = stem(token)
            return synonyms[stemmed] ?? stemmed
        }
    }

    /// Drops a plural `s` (`tests` → `test`; not `-ss`, `-us`, `-is`, and not in short words or contrast words),
    /// folds `-ies` to `-y`.
    static func stem(_ token: String) -> String {
        if contrastWords.contains(token) || token.contains(where: \.isNumber) { return token }
        if token.count >= 5, token.hasSuffix("ies") { return String(token.dropLast(3)) + "y" }
        if token.count >= 4, token.hasSuffix("s"),
            !token.hasSuffix("ss"), !token.hasSuffix("us"), !token.hasSuffix("is")
        {
            return String(token.dropLast())
        }
        return token
    }
}
