import HTTPServer
import SQLiteStore

/// What a provider's handlers use: the store, the clock, ids and accounts.
public struct SandboxContext: Sendable {
    public let store: Store
    public let clock: SandboxClock
    public let ids: IDGenerator
    public let logger: Logger

    public var accounts: Accounts { Accounts(store: store, clock: clock) }
}
