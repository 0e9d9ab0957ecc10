import HTTPServer
import SandboxCore

/// Dates as Census reads them: its controller hands `from_date` / `until_date` to Ruby's
/// `Time.parse`, so what Rails and other clients send is read the way that reads it in
/// practice: `2026-01-01`, `2026-01-01 00:00:00 +0100` (Rails' `Time#to_s`),
/// `2026-01-01 00:00:00 UTC`, ISO 8601 with `Z`, an offset (`+01:00`, `+0100`, `+01`) or
/// fractional seconds. A `+` sent unencoded in a query or form decodes to a space: an offset
/// written after a space with no sign (`00:00:00  0100`) is that `+`. A time with no zone is
/// UTC (Ruby would take the server's zone; the sandbox's clock is UTC).
enum CensusDate {
    /// Milliseconds since 1970, or nil for what `Time.parse` would not read as a time.
    static func parse(_ text: String) -> Int64? {
        let s = Array(text.trimmingASCIISpaces().utf8)
        guard s.count >= 10 else { return nil }
        let date = String(decoding: s[0 ..< 10], as: UTF8.self)
        if s.count == 10 { return Timestamp.parseISO8601(date) }
        guard s[10] == UInt8(ascii: "T") || s[10] == UInt8(ascii: "t") || s[10] == UInt8(ascii: " ") else { return nil }
        var i = 11
        while i < s.count, s[i] == UInt8(ascii: ":") || s[i] == UInt8(ascii: ".") || (48...57).contains(s[i]) { i += 1 }
        let time = String(decoding: s[11 ..< i], as: UTF8.self)
        guard let zone = self.zone(String(decoding: s[i...], as: UTF8.self).trimmingASCIISpaces()) else { return nil }
        return Timestamp.parseISO8601(date + "T" + time + zone)
    }

    /// The zone as ISO 8601 writes it (`Z`, `+0100`), or nil for one it does not know.
    private static func zone(_ text: String) -> String? {
        switch text.uppercased() {
        case "", "Z", "UTC", "GMT": return "Z"
        default: break
        }
        guard let first = text.utf8.first else { return nil }
        let offset = first == UInt8(ascii: "+") || first == UInt8(ascii: "-") ? text : "+" + text
        let digits = offset.utf8.dropFirst()
        guard !digits.isEmpty, digits.allSatisfy({ (48...57).contains($0) || $0 == UInt8(ascii: ":") }) else {
            return nil
        }
        return offset
    }
}
