import HTTPServer
import SQLiteStore

/// Random ids and tokens for everything the sandbox hands out: from the system's
/// cryptographic generator, or, with `--seed`, from a seeded generator so the same calls
/// give the same ids.
public final class IDGenerator: Sendable {
    private enum Source {
        case system(SystemRandomNumberGenerator)
        case seeded(SplitMix64)
    }

    private let source: Locked<Source>

    public init(seed: UInt64? = nil) {
        source = Locked(seed.map { .seeded(SplitMix64(seed: $0)) } ?? .system(SystemRandomNumberGenerator()))
    }

    public func bytes(_ count: Int) -> [UInt8] {
        source.withLock { source in
            var out: [UInt8] = []
            out.reserveCapacity(count + 8)
            while out.count < count {
                let word: UInt64
                switch source {
                case .system(var g): word = g.next(); source = .system(g)
                case .seeded(var g): word = g.next(); source = .seeded(g)
                }
                withUnsafeBytes(of: word.littleEndian) { out.append(contentsOf: $0) }
            }
            return Array(out.prefix(count))
        }
    }

    /// A number in `range`, from the same source.
    public func int(in range: ClosedRange<Int>) -> Int {
        let span = UInt64(range.upperBound - range.lowerBound) + 1
        let word = bytes(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return range.lowerBound + Int(word % span)
    }

    /// Lowercase hex of `count` random bytes.
    public func hex(_ count: Int) -> String { IDGenerator.hex(bytes(count)) }

    /// URL-safe base64 of `count` random bytes, without padding.
    public func token(_ count: Int = 24) -> String {
        Base64.encode(bytes(count), urlSafe: true, padded: false)
    }

    /// A random (version 4) UUID, lowercase.
    public func uuid() -> String {
        var b = bytes(16)
        b[6] = b[6] & 0x0F | 0x40
        b[8] = b[8] & 0x3F | 0x80
        let h = Array(IDGenerator.hex(b))
        return [0 ..< 8, 8 ..< 12, 12 ..< 16, 16 ..< 20, 20 ..< 32].map { String(h[$0]) }.joined(separator: "-")
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(decoding: bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] }, as: UTF8.self)
    }
}

/// A small, fast, seedable generator (Steele, Lea, Flood 2014). Not for secrets: used
/// only when a run is asked to be repeatable.
struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
