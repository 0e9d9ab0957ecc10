import HTTPServer
import SQLiteStore
import SandboxCore

/// Alphacomm's payment API (alphacomm.txt) and the PayPal-style approval page.
struct AlphacommRoutes {
    let context: ProviderContext
    var store: AlphacommStore { AlphacommStore(context: context) }
    /// Payments by id as a status poll reads them, until the next write to the store.
    let payments: StoreCache<String, AlphacommStore.Payment>

    init(context: ProviderContext) {
        self.context = context
        payments = StoreCache(following: context.store)
    }

    func router() -> Router {
        var router = Router()
        // Both GETs write (a token, a capture): they await their commit.
        router.get("/oauth/v2/token") { request in try await token(request) }
        router.post("/api/paypal/create") { request in try await create(request) }
        router.get("/api/paypal/status/:paymentId") { request in try status(request) }
        router.get("/api/paypal/capture/:paymentId") { request in try await capture(request) }
        router.get("/paypal/approve/:paymentId") { request in try AlphacommPage(context: context).show(request) }
        router.post(
            "/paypal/approve/:paymentId",
            SandboxPage.action { request in try await AlphacommPage(context: context).submit(request) })
        return router
    }

    private func token(_ request: HTTPRequest) async throws -> HTTPResponse {
        let query = request.query
        guard let grant = query["grant_type"], !grant.isEmpty else {
            throw AlphacommError.invalid("grant_type is required")
        }
        guard grant == "client_credentials" else { throw AlphacommError.unsupportedGrantType(grant) }
        guard let id = query["client_id"], !id.isEmpty else {
            throw AlphacommError.invalid("client_id is required")
        }
        guard let secret = query["client_secret"], !secret.isEmpty else {
            throw AlphacommError.invalid("client_secret is required")
        }
        guard let account = try context.authenticate(login: id, secret: secret) else {
            throw AlphacommError.invalidClient
        }
        // The form the real one has: base64 of 64 hex digits, no padding.
        let token = Base64.encode(Array(context.ids.hex(32).utf8), padded: false)
        try await context.issueToken(token, account: account.id, lifetimeSeconds: AlphacommStore.tokenLifetime)
        return .json(["access_token": .string(token)])
    }

    private func authenticate(_ request: HTTPRequest) throws -> Int {
        guard let token = request.bearerToken ?? request.query["access_token"] else {
            throw AlphacommError.accessDenied
        }
        guard let account = try context.account(forToken: token) else { throw AlphacommError.invalidToken }
        return account
    }

    private func create(_ request: HTTPRequest) async throws -> HTTPResponse {
        let account = try authenticate(request)
        let body: JSON
        do {
            body = try request.jsonBody()
        } catch {
            throw AlphacommError.invalid("The body must be JSON: \(error)")
        }
        var violations = AlphacommSchema.create.validate(body)
        // The lines must add up to the transaction's amount (amount × quantity each).
        // (The schema has checked the types: `2000.0` is an integer to it. A sum beyond Int matches no amount.)
        if violations.isEmpty, let transaction = body["transaction"], let lines = transaction["lines"]?.arrayValue {
            func integer(_ value: JSON?) -> Int? { value?.intValue ?? value?.stringValue.flatMap { Int($0) } }
            let sum = lines.reduce(Int?(0)) { sum, line in
                guard let sum, let amount = integer(line["amount"]) else { return nil }
                if amount == 0 { return sum }
                // A quantity beyond Int times a positive amount is beyond any total.
                guard let quantity = integer(line["quantity"]) else { return nil }
                let (product, overflow) = amount.multipliedReportingOverflow(by: quantity)
                let (next, overflowToo) = sum.addingReportingOverflow(product)
                return overflow || overflowToo ? nil : next
            }
            if sum == nil || sum != integer(transaction["amount"]) {
                let total = sum.map(String.init) ?? "more than \(Int.max)"
                violations.append(JSONSchema.Violation(property: "transaction.amount", pointer: "/transaction/amount",
                        message: "The lines add up to \(total), not \(transaction["amount"]?.serialized() ?? "")",
                                                       constraint: "linesTotal"))
            }
        }
        guard violations.isEmpty else { throw AlphacommError.validation(violations) }
        let plan = try context.settlePlan(account: account, request: request)
        let id = body["paymentId"]?.stringValue ?? ""
        switch try await store.create(account: account, request: body, plan: plan) {
        case .conflict:
            throw AlphacommError.conflict("paymentId \(id) was already used for another payment")
        case .repeated(let payment):
            return .json([
                "paymentId": .string(id), "state": .string(payment.state.rawValue),
                "redirectUrl": .string(approvalURL(request, id)),
            ])
        case .new:
            return .json([
                "paymentId": .string(id), "state": "accepted", "redirectUrl": .string(approvalURL(request, id)),
            ])
        }
    }

    private func approvalURL(_ request: HTTPRequest, _ id: String) -> String {
        request.mountURL + "/paypal/approve/" + PercentDecoding.encode(id)
    }

    /// The caller's own payment, or not found (another client's is not found too).
    private func ownPayment(_ request: HTTPRequest) throws -> AlphacommStore.Payment {
        let account = try authenticate(request)
        let id = request.parameters["paymentId"] ?? ""
        guard let payment = try payments.value(id, load: { try store.payment(id: id) }), payment.account == account
        else {
            throw AlphacommError.notFound("No payment \(id)")
        }
        return payment
    }

    private func state(_ payment: AlphacommStore.Payment) -> HTTPResponse {
        .json(["paymentId": .string(payment.id), "state": .string(payment.state.rawValue),
               "timestamp": .string(Timestamp.iso8601Offset(milliseconds: payment.updatedAt))])
    }

    private func status(_ request: HTTPRequest) throws -> HTTPResponse {
        state(try ownPayment(request))
    }

    private func capture(_ request: HTTPRequest) async throws -> HTTPResponse {
        state(try await store.capture(id: try ownPayment(request).id))
    }
}
