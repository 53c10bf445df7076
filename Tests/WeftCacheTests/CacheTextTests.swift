import Testing
import WeftCache

@Suite("Cache text, normalization and namespaces")
struct CacheTextTests {
    @Test(
        "normalization folds case, width, spacing and decoration but keeps meaningful punctuation",
        arguments: [
            ("  Create   USER\tlogin\nendpoint!! ", "create user login endpoint"),
            ("Write it in C++ or C#, not F#.", "write it in c++ or c# not f#"),
            (
                "Use Node.js v1.2 (x86-64) with user_id & input/output",
                "use node.js v1.2 x86-64 with user_id input/output"
            ),
            ("Don't break the user's session", "dont break the users session"),
            ("ＧＯ ﬁle ÉCOLE", "go file école"),
            ("- item one; item two...", "item one item two"),
            ("e\u{301}te\u{301}", "été"),
            ("«quoted» — dash 🚀 emoji", "quoted dash emoji"),
        ]
    )
    func normalization(input: String, expected: String) {
        #expect(TextNormalizer.normalize(input) == expected)
    }

    @Test("the cache text joins normalized type, complexity and description; its hash is SHA-256")
    func cacheText() {
        let text = CacheText(type: "API", complexity: "MEDIUM", description: "Create user  login endpoint!")
        #expect(text.normalized == "api|medium|create user login endpoint")
        #expect(
            text.hash == CacheText(type: "api ", complexity: "medium", description: "create user login endpoint").hash
        )
        // FIPS 180-2 test vectors: the hash is the same on every machine.
        #expect(CacheText(normalized: "abc").hash == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(CacheText(normalized: "").hash == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(
            CacheText(normalized: String(repeating: "a", count: 1000)).hash
                == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3"
        )
    }

    @Test("namespaces ignore constraint order and case but separate language, executor and model")
    func namespaces() {
        let base = CacheNamespace(
            constraints: ["language": "Python", "framework": "FastAPI"],
            executor: "sim",
            modelID: "m1"
        )
        let reordered = CacheNamespace(
            constraints: ["framework": "fastapi ", "language": "python"],
            executor: "sim",
            modelID: "m1"
        )
        #expect(base == reordered)
        #expect(base.canonical == "c:framework=fastapi,language=python|x:sim|m:m1")
        #expect(base.id.count == 16)
        #expect(base.id == CacheNamespace(canonical: base.canonical).id)
        let others = [
            CacheNamespace(constraints: ["language": "go", "framework": "fastapi"], executor: "sim", modelID: "m1"),
            CacheNamespace(
                constraints: ["language": "python", "framework": "fastapi"],
                executor: "exec:lint",
                modelID: "m1"
            ),
            CacheNamespace(
                constraints: ["language": "python", "framework": "fastapi"],
                executor: "sim",
                modelID: "m2"
            ),
            CacheNamespace(constraints: ["language": "python"], executor: "sim", modelID: "m1"),
        ]
        for other in others { #expect(other.id != base.id, "\(other)") }
        // Separators inside values cannot forge another namespace.
        let tricky = CacheNamespace(constraints: ["a": "b,c=d"], executor: "sim", modelID: "m")
        let split = CacheNamespace(constraints: ["a": "b", "c": "d"], executor: "sim", modelID: "m")
        #expect(tricky != split)
    }
}
