import HTTPServer
import SQLiteStore
import SandboxCore

public struct CensusProvider: Provider {
    public typealias Failure = CensusError
    public var key: String { "census" }
    public var displayName: String { "Census" }
    public var defaultPort: Int { 8083 }
    public var migrations: [Migration] { CensusStore.migrations }
    /// Census has no credentials; one account row carries its settings (settle mode).
    public var defaultAccounts: [AccountSeed] { [AccountSeed(login: "census", secret: "")] }
    /// Orders are processed in batches later: an hour on the sandbox clock by default.
    public var defaultSettle: SettleSettings { SettleSettings(.delay, seconds: 3600) }
    let access: CensusAccess

    public init(access: CensusAccess = CensusAccess()) {
        self.access = access
    }

    public func apiURL(mountURL: String, account: AccountSeed) -> String { mountURL + "/api/v1" }

    public func describe(_ account: AccountSeed) -> String {
        "no authentication (IP allow-list, loopback always allowed); persons 1@census, 2@census, 3@census"
    }

    public func makeAccount(id: Int, ids: IDGenerator) -> AccountSeed { AccountSeed(login: "census-\(id)", secret: "") }

    /// Census has one account: every request is its.
    public func account(of request: HTTPRequest, _ context: ProviderContext) -> Int? { 1 }

    public var conduct: Conduct {
        var conduct = Conduct()
        let creates = ["POST /api/v1/payments/orders", "POST /api/v1/{locale}/payments/orders"]
        conduct.creates = Set(creates)
        // Only a card order's answer names its order (the gateway form's `order_id`).
        conduct.payments = Dictionary(uniqueKeysWithValues: creates.map { ($0, [.response("form.fields.order_id")]) })
        conduct.order = [["person_id", "amount", "description"]]
        conduct.noCallbacks = "Census's document sends no callback: an order's outcome shows in its payment "
            + "method and totals."
        conduct.noStatusCall = "Census's document has no call that reads one order, and it sends no callback to check."
        conduct.noTokens = "Census's API takes no credentials (an IP allow-list guards it)."
        return conduct
    }

    public var createRoute: String { "POST /api/v1/payments/orders" }

    public func routes(_ context: ProviderContext) -> Router {
        CensusRoutes(context: context, access: access).router()
    }

    public func controlRoutes(_ context: ProviderContext) -> Router? {
        CensusControl(context: context).router()
    }

    public func complete(payment id: String, with outcome: Outcome, _ db: Database, _ context: ProviderContext) throws {
        guard let order = Int(id) else { throw CompletionError.notFound }
        try CensusStore.complete(db, id: order, outcome: outcome, context: context)
    }

    /// Three persons with a mix of payment methods (docs/census.md).
    public func seed(_ db: Database, context: ProviderContext) throws {
        let now = context.clock.nowMilliseconds()
        let year = (Int(Timestamp.iso8601(milliseconds: now).prefix(4)) ?? 2026) + 3
        let dd = CensusStore.directDebit, cc = CensusStore.creditCard
        let ana = try CensusStore.createPerson(db, name: "Ana García", externalIDs: [("participa", "1001")], now: now)
        try CensusStore.addPaymentMethod(
            db, person: ana, type: dd, status: .active, verified: true, iban: "ES9121000418450200051332", now: now)
        try CensusStore.addPaymentMethod(
            db, person: ana, type: cc, status: .active, verified: true, expiration: (4, year), now: now)
        let bruno = try CensusStore.createPerson(
            db, name: "Bruno Díaz", externalIDs: [("participa", "1002")], now: now)
        try CensusStore.addPaymentMethod(
            db, person: bruno, type: dd, status: .inactive, verified: true, iban: "ES7921000813610123456789", now: now)
        try CensusStore.addPaymentMethod(db, person: bruno, type: cc, status: .incomplete, verified: false, now: now)
        let carla = try CensusStore.createPerson(db, name: "Carla Ruiz", externalIDs: [("participa", "1003")], now: now)
        try CensusStore.addPaymentMethod(
            db, person: carla, type: dd, status: .active, verified: false, iban: "ES6000491500051234567892", now: now)
    }
}

/// `/_sandbox/census/…`: persons for tests (Census's own people API is not emulated).
struct CensusControl {
    let context: ProviderContext

    func router() -> Router {
        var router = Router()
        router.post("/persons") { request in try await create(request) }
        router.get("/persons/:qualified_id") { request in
            let qualified = request.parameters["qualified_id"] ?? ""
            guard let person = try CensusStore(context: context).personJSON(qualifiedID: qualified) else {
                throw ControlPlaneError.notFound("no person \(qualified)")
            }
            return .json(person)
        }
        return router
    }

    private func create(_ request: HTTPRequest) async throws -> HTTPResponse {
        let body = request.body.isEmpty ? JSON.object([]) : try request.controlPlaneJSON()
        if let name = body["name"], name.stringValue?.isEmpty ?? true {
            throw ControlPlaneError.badRequest("name must be a non-empty string")
        }
        var external: [(String, String)] = []
        if let ids = body["external_ids"] {
            guard let members = ids.objectValue,
                  members.allSatisfy({ $0.1.stringValue != nil && !$0.0.isEmpty && $0.0 != "census" })
            else {
                throw ControlPlaneError.badRequest("external_ids must be an object of system: id strings (not census)")
            }
            external = members.map { ($0.0, $0.1.stringValue ?? "") }
        }
        do {
            let name = body["name"]?.stringValue ?? "Sandbox person"
            let person = try await CensusStore(context: context).createPerson(name: name, externalIDs: external)
            return .json(person, status: 201)
        } catch let error as SQLiteError where error.isUniqueViolation {
            throw ControlPlaneError.conflict("one of these external ids belongs to another person")
        }
    }

}
