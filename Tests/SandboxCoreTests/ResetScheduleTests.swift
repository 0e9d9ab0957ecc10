import Testing
@testable import SandboxCore

@Suite struct ResetScheduleTests {
    @Test func durationsAreReadAsPeopleWriteThem() {
        #expect(ResetSchedule.milliseconds("24h") == 86_400_000)
        #expect(ResetSchedule.milliseconds("1h30m") == 5_400_000)
        #expect(ResetSchedule.milliseconds("90m") == 5_400_000)
        #expect(ResetSchedule.milliseconds("2d") == 172_800_000)
        #expect(ResetSchedule.milliseconds("45s") == 45_000)
        for wrong in ["", "24", "h", "0s", "1x", "-1h", "1.5h", "daily", "999999999h"] {
            #expect(ResetSchedule.milliseconds(wrong) == nil, "\(wrong)")
        }
    }
}
