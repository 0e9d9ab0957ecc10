#if canImport(Glibc)
import Glibc
#endif
import HTTPServer
import SQLiteStore
import Locks

/// Random ids and tokens for everything the sandbox hands out: from the system's
/// cryptographic generator, or, with `--seed`, from a seeded generator so the same calls
/// give the same ids.
public final class IDGenerator: Sendable {
    /// With `--seed`; otherwise nil and every id comes from getrandom(2), one call per id.
    private let seeded: Locked<SplitMix64>?
    private let seed: UInt64?

    public init(seed: UInt64? = nil) {
        self.seed = seed
        seeded = seed.map { Locked(SplitMix64(seed: $0)) }
    }

    /// Back to the ids a fresh start gives (a reset), with `--seed`.
    func restart() {
        guard let seed else { return }
        seeded?.withLock { $0 = SplitMix64(seed: seed) }
    }

    public func bytes(_ count: Int) -> [UInt8] {
        guard count > 0 else { return [] }
        guard let seeded else { return Self.systemRandom(count) }
        return seeded.withLock { g in
            var out: [UInt8] = []
            out.reserveCapacity(count + 8)
            while out.count < count {
                withUnsafeBytes(of: g.next().littleEndian) { out.append(contentsOf: $0) }
            }
            return Array(out.prefix(count))
        }
    }

    /// The kernel's cryptographic generator, opened once.
    private static let urandom = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
    /// Bytes read from it 4 KiB at a time, each handed out once.
    private static let pool = Locked((bytes: [UInt8](), next: 0))

    /// `count` bytes from the kernel's cryptographic generator (Swift's
    /// SystemRandomNumberGenerator reads the same source, but 8 bytes per system call); its
    /// generator when /dev/urandom cannot be read.
    private static func systemRandom(_ count: Int) -> [UInt8] {
        let taken: [UInt8]? = pool.withLock { pool in
            if pool.bytes.count - pool.next < count {
                guard let fresh = readURandom(max(4096, count)) else { return nil }
                pool = (fresh, 0)
            }
            defer { pool.next += count }
            return Array(pool.bytes[pool.next ..< pool.next + count])
        }
        if let taken { return taken }
        var g = SystemRandomNumberGenerator()
        return (0 ..< count).map { _ in UInt8.random(in: 0 ... 255, using: &g) }
    }

    private static func readURandom(_ count: Int) -> [UInt8]? {
        guard urandom >= 0 else { return nil }
        var out = [UInt8](repeating: 0, count: count)
        let filled = out.withUnsafeMutableBytes { buffer -> Bool in
            guard let base = buffer.baseAddress else { return false }
            var done = 0
            while done < count {
                let got = read(urandom, base + done, count - done)
                guard got > 0 else { return false }
                done += got
            }
            return true
        }
        return filled ? out : nil
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

    /// A version 7 UUID (RFC 9562), lowercase: 48 bits of `milliseconds` (the sandbox clock),
    /// then 74 random bits. Ids made one after the other sort in that order, so the indexes
    /// they key grow at one end: with random (version 4) ids every insert landed on a page of
    /// its own in each of three indexes, and each commit wrote them all (docs/benchmarks.md).
    public func uuid(milliseconds: Int64) -> String {
        var b = ordered(16, milliseconds: milliseconds)
        b[6] = b[6] & 0x0F | 0x70
        b[8] = b[8] & 0x3F | 0x80
        let h = Array(IDGenerator.hex(b))
        return [0 ..< 8, 8 ..< 12, 12 ..< 16, 16 ..< 20, 20 ..< 32].map { String(h[$0]) }.joined(separator: "-")
    }

    /// Lowercase hex of `count` bytes (at least 6): the first six `milliseconds`, the rest
    /// random; for the same reason as `uuid(milliseconds:)`.
    public func orderedHex(_ count: Int, milliseconds: Int64) -> String {
        IDGenerator.hex(ordered(max(6, count), milliseconds: milliseconds))
    }

    private func ordered(_ count: Int, milliseconds: Int64) -> [UInt8] {
        var b = bytes(count)
        let time = UInt64(max(0, milliseconds))
        for i in 0 ..< 6 { b[i] = UInt8(truncatingIfNeeded: time >> UInt64(8 * (5 - i))) }
        return b
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(decoding: bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] }, as: UTF8.self)
    }
}

/// A small, fast, seedable generator (Steele, Lea, Flood 2014). Not for secrets: used
/// only when a run is asked to be repeatable (and by the seeded fuzz tests).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
