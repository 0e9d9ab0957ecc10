#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// The sandbox's notion of now, in milliseconds since 1970. Every timestamp a
/// provider shows comes from here.
public final class SandboxClock: Sendable {
    private let offsetMilliseconds = Atomic<Int64>(0)

    public init() {}

    public static func systemMilliseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }

    public func nowMilliseconds() -> Int64 {
        SandboxClock.systemMilliseconds() + offsetMilliseconds.load(ordering: .relaxed)
    }

    /// Now as ISO 8601 UTC with milliseconds: `2020-07-28T00:15:02.868Z`.
    public func nowISO8601() -> String { Timestamp.iso8601(milliseconds: nowMilliseconds()) }
}

public enum Timestamp {
    /// `2020-07-28T00:15:02.868Z`
    public static func iso8601(milliseconds: Int64) -> String {
        var seconds = time_t(milliseconds.floorDiv(1000))
        let millis = Int(milliseconds - Int64(seconds) * 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ v: Int32, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(millis), 3))Z"
    }
}

extension Int64 {
    fileprivate func floorDiv(_ d: Int64) -> Int64 {
        let q = self / d
        return (self % d != 0 && (self < 0) != (d < 0)) ? q - 1 : q
    }
}
