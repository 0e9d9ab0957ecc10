import Alphacomm
import Census
import PayXToday
import Paytomat
import ProjectCX
import SandboxCore

enum Providers {
    /// Every emulated provider, in mount order.
    static func all(censusAllowedIPs: [String] = []) -> [any Provider] {
        [
            ProjectCXProvider(),
            PaytomatProvider(),
            CensusProvider(access: CensusAccess(allowed: censusAllowedIPs)),
            PayXTodayProvider(),
            AlphacommProvider(),
        ]
    }
}
