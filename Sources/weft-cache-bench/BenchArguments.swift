import Foundation

/// `command --name value …`, nothing more.
struct BenchArguments {
    let command: String
    private var values: [String: String] = [:]

    init(_ arguments: ArraySlice<String>) {
        command = arguments.first ?? ""
        var rest = arguments.dropFirst()
        while let name = rest.popFirst() {
            guard name.hasPrefix("--"), let value = rest.popFirst() else { continue }
            values[String(name.dropFirst(2))] = value
        }
    }

    func string(_ name: String) -> String {
        guard let value = values[name] else {
            FileHandle.standardError.write(Data("missing --\(name)\n".utf8))
            exit(2)
        }
        return value
    }

    func int(_ name: String, default fallback: Int) -> Int { values[name].flatMap { Int($0) } ?? fallback }

    func ints(_ name: String) -> [Int] { string(name).split(separator: ",").compactMap { Int($0) } }
}

/// SplitMix64: the same stream on every machine.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// Uniform in (0, 1].
    mutating func unit() -> Double { (Double(next() >> 11) + 1) / 9_007_199_254_740_992 }

    /// Standard normal (Box–Muller).
    mutating func gaussian() -> Double {
        let radius = (-2 * Foundation.log(unit())).squareRoot()
        return radius * Foundation.cos(2 * Double.pi * unit())
    }
}
