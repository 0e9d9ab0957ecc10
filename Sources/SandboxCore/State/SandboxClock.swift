#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// The sandbox's notion of now, in milliseconds since 1970. Every timestamp a provider
/// shows and every scheduled job or delivery uses it.
///
/// Real time by default, moved forward by `advance`. Started with a fixed time
/// (`--start-time`) it is frozen there and moves only when advanced, so the same calls
/// give the same timestamps.
public final class SandboxClock: Sendable {
    /// Frozen: the time itself. Real time: the offset added to the system's time. One
    /// atomic word, read by every request without a lock.
    private let value: Atomic<Int64>
    private let start: Int64?

    public init(startMilliseconds: Int64? = nil) {
        start = startMilliseconds
        value = Atomic(startMilliseconds ?? 0)
    }

    public var isFrozen: Bool { start != nil }

    public static func systemMilliseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }

    public func nowMilliseconds() -> Int64 {
        let v = value.load(ordering: .acquiring)
        return isFrozen ? v : SandboxClock.systemMilliseconds() + v
    }

    /// Now as ISO 8601 UTC with milliseconds: `2020-07-28T00:15:02.868Z`.
    public func nowISO8601() -> String { Timestamp.iso8601(milliseconds: nowMilliseconds()) }

    /// How far the clock has been advanced in all (persisted, so a restart keeps it).
    public var advancedMilliseconds: Int64 {
        let v = value.load(ordering: .acquiring)
        return start.map { v - $0 } ?? v
    }

    /// Moves the clock forward to `milliseconds` (never back).
    public func set(to milliseconds: Int64) {
        let target = isFrozen ? milliseconds : milliseconds - SandboxClock.systemMilliseconds()
        _ = value.max(target, ordering: .acquiringAndReleasing)
    }

    /// Restores a persisted advance (start-up) or clears it (reset).
    public func restore(advancedMilliseconds: Int64) {
        value.store((start ?? 0) + advancedMilliseconds, ordering: .releasing)
    }
}

public enum Timestamp {
    /// `2020-07-28T00:15:02.868Z`
    public static func iso8601(milliseconds: Int64) -> String {
        let (parts, millis) = utc(milliseconds)
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(millis), 3))Z"
    }

    /// `2023-08-17 08:22:55` (UTC): the form many PHP and SQL backends print.
    public static func dateTime(milliseconds: Int64) -> String {
        let (parts, _) = utc(milliseconds)
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2)) "
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))"
    }

    /// `2016-11-22T11:39:21+0000`: seconds and a numeric offset (UTC).
    public static func iso8601Offset(milliseconds: Int64) -> String {
        let (parts, _) = utc(milliseconds)
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))+0000"
    }

    /// Parses `2026-01-01T00:00:00Z`, with optional fraction and a `Z` or `±hh:mm` offset,
    /// or a date alone (`2026-01-01`, midnight UTC). Dates that do not exist (February 30) and
    /// a 60th second (which would run into the next minute, or month) are refused.
    public static func parseISO8601(_ text: String) -> Int64? {
        let chars = Array(text.utf8)
        func number(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= chars.count else { return nil }
            var v = 0
            for c in chars[from ..< from + count] {
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            return v
        }
        guard let year = number(0, 4), chars.count >= 10, chars[4] == 45, let month = number(5, 2), chars[7] == 45,
              let day = number(8, 2), (1 ... 12).contains(month), (1 ... 31).contains(day) else { return nil }
        var hour = 0, minute = 0, second = 0, millis = 0, offsetMinutes = 0
        if chars.count > 10 {
            guard chars[10] == UInt8(ascii: "T") || chars[10] == UInt8(ascii: " "),
                  let h = number(11, 2), chars.count > 13, chars[13] == 58, let m = number(14, 2) else { return nil }
            hour = h; minute = m
            var i = 16
            if i < chars.count, chars[i] == 58 {
                guard let s = number(17, 2) else { return nil }
                second = s
                i = 19
            }
            if i < chars.count, chars[i] == UInt8(ascii: ".") {
                i += 1
                var digits = 0
                while i < chars.count, chars[i] >= 48, chars[i] <= 57 {
                    if digits < 3 { millis = millis * 10 + Int(chars[i] - 48); digits += 1 }
                    i += 1
                }
                guard digits > 0 else { return nil }
                while digits < 3 { millis *= 10; digits += 1 }
            }
            if i < chars.count {
                if chars[i] == UInt8(ascii: "Z") {
                    i += 1
                } else if chars[i] == UInt8(ascii: "+") || chars[i] == UInt8(ascii: "-") {
                    let sign = chars[i] == UInt8(ascii: "+") ? 1 : -1
                    guard let oh = number(i + 1, 2) else { return nil }
                    var om = 0
                    if let m = number(i + 4, 2), chars[i + 3] == 58 {
                        om = m; i += 6
                    } else if let m = number(i + 3, 2) {
                        om = m; i += 5
                    } else {
                        i += 3
                    }
                    offsetMinutes = sign * (oh * 60 + om)
                }
            }
            guard i == chars.count, hour < 24, minute < 60, second < 60 else { return nil }
        }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        let seconds = Int64(timegm(&parts))
        // timegm normalises 2026-02-31 to March; refuse dates that do not exist.
        guard parts.tm_mday == Int32(day), parts.tm_mon == Int32(month - 1) else { return nil }
        return (seconds - Int64(offsetMinutes) * 60) * 1000 + Int64(millis)
    }

    static func utc(_ milliseconds: Int64) -> (tm, Int) {
        var seconds = time_t(milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000)
        let millis = Int(milliseconds - Int64(seconds) * 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return (parts, millis)
    }

    static func pad(_ v: Int32, _ width: Int) -> String {
        let s = String(v)
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }
}
