extension PriorityWeights {
    /// The points a task type earns: those of the first rule having one of the type's words as a keyword, else 0.
    ///
    /// A type's words are its runs of letters and digits, lower-cased: `"Auth-Service"` has the words `auth` and
    /// `service` and so matches the security/auth rule; `"authentication_api"` matches it too, before the api rule,
    /// because the first matching rule wins.
    public func typePoints(for type: String) -> Int {
        if type.isEmpty || typeRules.isEmpty { return 0 }
        let words = Self.words(of: type)
        for rule in typeRules where words.contains(where: rule.keywords.contains) {
            return rule.points
        }
        return 0
    }

    /// The points for `count` direct dependents: `perDependent` each, at most `maxDependentPoints`.
    public func dependentPoints(count: Int) -> Int {
        min(perDependent * count, maxDependentPoints)
    }

    /// A task's priority: complexity points + type points + dependent points. Higher runs first.
    public func priority(complexity: Complexity, type: String, dependents: Int) -> Int {
        points(for: complexity) + typePoints(for: type) + dependentPoints(count: dependents)
    }

    /// The lower-cased runs of letters and digits of `text`.
    static func words(of text: String) -> [String] {
        text.lowercased().split { character in !(character.isLetter || character.isNumber) }.map(String.init)
    }
}
