import HTTPServer
import Synchronization

/// Random ids and tokens for everything the sandbox hands out.
public final class IDGenerator: Sendable {
    private let generator = Mutex(SystemRandomNumberGenerator())

    public init() {}

    public func bytes(_ count: Int) -> [UInt8] {
        generator.withLock { rng in (0 ..< count).map { _ in UInt8.random(in: 0 ... 255, using: &rng) } }
    }

    /// Lowercase hex of `count` random bytes.
    public func hex(_ count: Int) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(decoding: bytes(count).flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] }, as: UTF8.self)
    }

    /// URL-safe base64 of `count` random bytes, without padding.
    public func token(_ count: Int = 24) -> String {
        Base64.encode(bytes(count), urlSafe: true, padded: false)
    }
}
