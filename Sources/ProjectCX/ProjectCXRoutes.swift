import HTTPServer
import SQLiteStore
import SandboxCore

/// Project CX's routes, as documented (projectcx.txt), plus the payer's page.
struct ProjectCXRoutes {
    let context: ProviderContext
    var store: ProjectCXStore { ProjectCXStore(context: context) }
    /// Orders by id as the payer's page (often reloaded) reads them, until the next write.
    let orders: StoreCache<String, ProjectCXStore.Order>

    init(context: ProviderContext) {
        self.context = context
        orders = StoreCache(following: context.store)
    }

    static let tokenLifetime: Int64 = 8400

    func router() -> Router {
        var router = Router()
        router.post("/rest2/login") { request in try await login(request) }
        router.post("/rest2/payment/create") { request in try await createPayment(request) }
        router.get("/payment") { request in try ProjectCXPage(context: context, orders: orders).show(request) }
        router.post(
            "/payment",
            SandboxPage.action { request in try await ProjectCXPage(context: context, orders: orders).submit(request) })
        return router
    }

    private func login(_ request: HTTPRequest) async throws -> HTTPResponse {
        let input = try Input<ProjectCXError>(request, typed: true)
        let username = try input.requiredText("username", max: 256)
        let password = try input.requiredText("password", max: 256)
        guard let account = try context.authenticate(login: username, secret: password) else {
            throw ProjectCXError.invalidCredentials
        }
        let token = context.ids.token()
        try await context.issueToken(token, account: account.id, lifetimeSeconds: Self.tokenLifetime)
        // No call takes the refresh token back (the document names none): it is only shown.
        return .json([
            "auth_token": .string(token), "refresh_token": .string(context.ids.token()), "token_type": "Bearer",
            "expires_in": .int(Int(Self.tokenLifetime)),
        ])
    }

    private func createPayment(_ request: HTTPRequest) async throws -> HTTPResponse {
        let account = try authenticate(request)
        let input = try Input<ProjectCXError>(request, typed: true)
        let amount = try input.requiredInteger("amount")
        guard amount > 0 else { throw ProjectCXError.invalid("amount must be a positive number of cents") }
        guard amount <= 100_000_000_000 else {
            throw ProjectCXError.invalid("amount must be at most 100000000000 cents")
        }
        let description = try input.text("description", max: 1000)
        let info = try input.text("info", max: 1000)
        let callback = try input.url("callback", max: 2048, required: true) ?? ""
        let plan = try context.settlePlan(account: account, request: request,
                                          forced: ProjectCXMagic.outcome(forAmount: amount))
        let id = try await store.createOrder(
            account: account, .init(amount: amount, description: description, info: info, callback: callback),
            plan: plan)
        return .json(["orderId": .string(id)])
    }

    private func authenticate(_ request: HTTPRequest) throws -> Int {
        guard let token = request.bearerToken else {
            throw ProjectCXError.unauthorized(
                "Missing Bearer token: log in at /rest2/login and send Authorization: Bearer <auth_token>")
        }
        guard let account = try context.account(forToken: token) else {
            throw ProjectCXError.unauthorized("Invalid or expired token")
        }
        return account
    }
}
