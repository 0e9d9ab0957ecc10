import Testing
import SandboxCore
@testable import Census

/// Dates as Census's `Time.parse` reads what Rails and other clients send.
@Suite struct CensusDateTests {
    static let newYear: Int64 = 1_767_225_600_000  // 2026-01-01T00:00:00Z

    @Test(arguments: [
        ("2026-01-01", newYear),
        ("2026-01-01 00:00:00 UTC", newYear),
        ("2026-01-01T00:00:00Z", newYear),
        ("2026-01-01T00:00:00.000Z", newYear),
        ("2026-01-01 01:00:00 +0100", newYear),
        ("2026-01-01T01:00:00+01:00", newYear),
        ("2026-01-01T01:00:00+01", newYear),
        // An unencoded `+` in a query arrives as a space: the offset is still read.
        ("2026-01-01 01:00:00  0100", newYear),
        ("2025-12-31 19:00:00 -0500", newYear),
        ("  2026-01-01 00:00:00  ", newYear),
        // No zone: UTC (the sandbox's clock).
        ("2026-01-01 00:00:00", newYear),
    ])
    func readsWhatClientsSend(text: String, milliseconds: Int64) {
        #expect(CensusDate.parse(text) == milliseconds)
    }

    @Test(arguments: ["", "2026", "2026-13-01", "yesterday", "2026-01-01X00:00", "2026-01-01 00:00:00 Mars",
                      "2026-01-01 00:00:00 +ab"])
    func refusesWhatItCannotRead(text: String) {
        #expect(CensusDate.parse(text) == nil)
    }
}
