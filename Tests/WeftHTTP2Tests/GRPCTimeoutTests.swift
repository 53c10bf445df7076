import Testing
import WeftHTTP2

@Suite("GRPCTimeout")
struct GRPCTimeoutTests {
    @Test("every unit parses: H M S m u n")
    func allUnits() {
        #expect(GRPCTimeout.parse("2H") == .seconds(7200))
        #expect(GRPCTimeout.parse("3M") == .seconds(180))
        #expect(GRPCTimeout.parse("4S") == .seconds(4))
        #expect(GRPCTimeout.parse("5m") == .milliseconds(5))
        #expect(GRPCTimeout.parse("6u") == .microseconds(6))
        #expect(GRPCTimeout.parse("7n") == .nanoseconds(7))
    }

    @Test("values grpc-go sends parse: 0n for an expired deadline, 9999987u, 99999871n")
    func grpcGoValues() {
        #expect(GRPCTimeout.parse("0n") == .zero)
        #expect(GRPCTimeout.parse("9999987u") == .microseconds(9_999_987))
        #expect(GRPCTimeout.parse("99999871n") == .nanoseconds(99_999_871))
    }

    @Test("eight digits are the maximum and parse without overflow, leading zeros included")
    func eightDigits() {
        #expect(GRPCTimeout.parse("99999999H") == .seconds(Int64(99_999_999) * 3600))
        #expect(GRPCTimeout.parse("12345678S") == .seconds(12_345_678))
        #expect(GRPCTimeout.parse("00000001m") == .milliseconds(1))
    }

    @Test(
        "malformed values are rejected",
        arguments: [
            "", "S", "1", "1x", "123456789S", "-1S", " 1S", "1S ", "1 S", "+1S", "1.5S", "1s", "1h", "S1", "000000000n",
        ]
    )
    func malformed(value: String) {
        #expect(GRPCTimeout.parse(value) == nil)
    }

    @Test("the byte-collection overload agrees with the string one")
    func bytesOverload() {
        #expect(GRPCTimeout.parse(Array("250m".utf8)) == .milliseconds(250))
        #expect(GRPCTimeout.parse(Array("250".utf8)[...]) == nil)
    }

    @Test("encode picks the finest unit whose value fits in 8 digits")
    func encodeFinestUnit() {
        #expect(GRPCTimeout.encode(.nanoseconds(1)) == "1n")
        #expect(GRPCTimeout.encode(.nanoseconds(99_999_999)) == "99999999n")
        #expect(GRPCTimeout.encode(.milliseconds(100)) == "100000u")
        #expect(GRPCTimeout.encode(.seconds(10)) == "10000000u")
        #expect(GRPCTimeout.encode(.seconds(100)) == "100000m")
        #expect(GRPCTimeout.encode(.seconds(99_999_999)) == "99999999S")
        #expect(GRPCTimeout.encode(.seconds(100_000_000)) == "1666667M")
        #expect(GRPCTimeout.encode(.seconds(Int64(99_999_999) * 60 + 1)) == "1666667H")
    }

    @Test("encode rounds up so the server never gets less time than the client has")
    func encodeRoundsUp() {
        #expect(GRPCTimeout.encode(.nanoseconds(100_000_001)) == "100001u")
        #expect(GRPCTimeout.encode(.seconds(100) + .nanoseconds(1)) == "100001m")
        #expect(GRPCTimeout.encode(.seconds(1) + .nanoseconds(1)) == "1000001u")
    }

    @Test("zero and negative durations encode as 0n")
    func encodeNonPositive() {
        #expect(GRPCTimeout.encode(.zero) == "0n")
        #expect(GRPCTimeout.encode(.nanoseconds(-1)) == "0n")
        #expect(GRPCTimeout.encode(.seconds(-5)) == "0n")
        #expect(GRPCTimeout.encode(.zero - .milliseconds(1)) == "0n")
    }

    @Test("a positive duration below one nanosecond does not encode as the expired 0n")
    func encodeSubNanosecond() {
        let tiny = Duration(secondsComponent: 0, attosecondsComponent: 1)
        #expect(GRPCTimeout.encode(tiny) == "1n")
        let justOver = Duration.nanoseconds(5) + tiny
        #expect(GRPCTimeout.encode(justOver) == "6n")
    }

    @Test("durations near the 64-bit nanosecond limit encode as a valid, large timeout")
    func encodeHuge() throws {
        for duration in [
            Duration.seconds(9_223_372_036) + .milliseconds(900), .seconds(9_223_372_037), .seconds(Int64.max),
        ] {
            let encoded = GRPCTimeout.encode(duration)
            let parsed = try #require(GRPCTimeout.parse(encoded), "\(encoded)")
            #expect(parsed >= .seconds(9_223_372_036), "\(encoded)")
        }
    }

    @Test("parse(encode(d)) is never less than d and is always well formed")
    func roundTrip() throws {
        var generator = SplitMix64(seed: 0x5EED)
        var samples: [Duration] = [.nanoseconds(1), .microseconds(1), .milliseconds(1), .seconds(1), .seconds(3600)]
        for _ in 0..<2000 {
            let magnitude = Int64(generator.next() % 19)  // up to 10^18 ns
            var limit: Int64 = 1
            for _ in 0..<magnitude { limit *= 10 }
            samples.append(.nanoseconds(Int64(generator.next() % UInt64(limit)) + 1))
        }
        for duration in samples {
            let encoded = GRPCTimeout.encode(duration)
            #expect(encoded.utf8.count >= 2 && encoded.utf8.count <= 9, "\(encoded)")
            let parsed = try #require(GRPCTimeout.parse(encoded), "\(duration) → \(encoded)")
            #expect(parsed >= duration, "\(duration) → \(encoded)")
        }
    }
}
