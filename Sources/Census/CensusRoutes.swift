import HTTPServer
import SQLiteStore
import SandboxCore

/// Census's payment API (census.txt), with the optional locale segment its routes take
/// (`/api/v1/es/payments/orders`, config/routes.rb `scope "(:locale)"`).
struct CensusRoutes {
    let context: ProviderContext
    let access: CensusAccess
    var store: CensusStore { CensusStore(context: context) }
    /// Payment methods by id as a client polls them, until the next write to the store.
    let methods: StoreCache<Int, CensusStore.PaymentMethod>

    init(context: ProviderContext, access: CensusAccess) {
        self.context = context
        self.access = access
        methods = StoreCache(following: context.store)
    }

    static let locales: Set<String> = ["es", "ca", "eu", "en", "gl"]
    /// Sandbox: a campaign code that makes order creation fail with Census's documented 500.
    static let forcedErrorCampaign = "sandbox-500"

    func router() -> Router {
        var router = Router()
        for prefix in ["/api/v1", "/api/v1/:locale"] {
            router.post(prefix + "/payments/orders") { request in try await createOrder(try known(request)) }
            router.get(prefix + "/payments/orders/total") { request in try total(try known(request)) }
            router.get(prefix + "/payments/payment_methods") { request in try paymentMethods(try known(request)) }
            router.get(prefix + "/payments/payment_methods/:id") { request in try paymentMethod(try known(request)) }
        }
        let gateway = CensusGateway(context: context)
        // `form.action`: the shop's own page posts the order's fields here (open to it, as the
        // real gateway is); the card page's action is the sandbox's own.
        router.post("/gateway/pay") { request in try gateway.show(request) }
        router.post("/gateway/pay/complete", SandboxPage.action { request in try await gateway.complete(request) })
        // The IP allow-list, before the API's routes (an unknown path included); the payer's
        // browser reaches the gateway from anywhere.
        router.admit = { [access] request in
            let gateway = request.path.dropFirst(request.mountPrefix.count).hasPrefix("/gateway/")
            return gateway || access.allows(request.remoteHost) ? nil : CensusError.forbidden.response
        }
        return router
    }

    /// The request, if its locale is one Census knows (an unknown one is an unknown route).
    private func known(_ request: HTTPRequest) throws -> HTTPRequest {
        if let locale = request.parameters["locale"], !Self.locales.contains(locale) {
            throw CensusError.notFound("no locale \(locale)")
        }
        return request
    }

    // MARK: orders

    private func createOrder(_ request: HTTPRequest) async throws -> HTTPResponse {
        let params = try params(request)
        var errors = ErrorDetails()
        let person = try params.string("person_id").flatMap { try store.person(qualifiedID: $0) }
        if person == nil { errors.add("person", "blank") }
        let description = errors.required(params, "description")
        var amount: Int?
        switch params.string("amount").map({ Int($0) }) {
        case nil:
            errors.add("amount", "blank")
            errors.add("amount", "not_a_number", [("value", .null)])
        case .some(nil): errors.add("amount", "not_a_number", [("value", params.raw("amount") ?? .null)])
        case .some(let value?) where value < 0:
            errors.add("amount", "greater_than_or_equal_to", [("value", .int(value)), ("count", 0)])
        case .some(let value?): amount = value
        }
        let campaign = errors.required(params, "campaign_code")
        let method = try method(params, person: person, errors: &errors)
        guard errors.isEmpty, let person, let description, let amount, let campaign, let method else {
            throw CensusError.details(errors)
        }
        if campaign == Self.forcedErrorCampaign { throw CensusError.status(500, "campaign \(campaign)") }
        let plan = try context.settlePlan(account: 1, request: request)
        let created = try await store.createOrder(
            .init(person: person, amount: amount, description: description, campaignCode: campaign),
                                            method: method, plan: plan)
        if let token = created.token {
            return .json([
                "payment_method_id": .int(created.paymentMethod),
                "form": ["action": .string(request.mountURL + "/gateway/pay"),
                         "fields": ["order_id": .string(String(created.order)), "token": .string(token)]],
            ], status: 202)
        }
        return .json(["payment_method_id": .int(created.paymentMethod)], status: 201)
    }

    private func params(_ request: HTTPRequest) throws -> RequestParams {
        do { return try RequestParams(request) } catch { throw CensusError.status(400, "a body that does not parse") }
    }

    /// The order's payment method as `payment_method_type` says (its errors added).
    private func method(_ params: RequestParams, person: Int?, errors: inout ErrorDetails) throws
        -> CensusStore.Method?
    {
        switch params.string("payment_method_type") {
        case "existing_payment_method": return try existingMethod(params, person: person, errors: &errors)
        case "direct_debit":
            guard let iban = errors.required(params, "iban") else { return nil }
            if let problem = IBAN.validate(iban) {
                errors.add("iban", problem.rawValue)
                return nil
            }
            return .directDebit(iban: iban)
        case "credit_card_external":
            guard let url = errors.required(params, "return_url") else { return nil }
            guard url.contains("__RESULT__") && isAbsoluteHTTPURL(url) else {
                errors.add("return_url", "invalid", [("value", .string(url))])
                return nil
            }
            return .creditCardExternal(returnURL: url)
        default:
            errors.add("payment_method_type", "inclusion", [("value", params.raw("payment_method_type") ?? .null)])
            return nil
        }
    }

    private func existingMethod(_ params: RequestParams, person: Int?, errors: inout ErrorDetails) throws
        -> CensusStore.Method?
    {
        guard let text = errors.required(params, "payment_method_id") else { return nil }
        guard let id = Int(text), let method = try store.paymentMethod(id: id), person == nil || method.person == person
        else {
            errors.add("payment_method_id", "invalid", [("value", params.raw("payment_method_id") ?? .null)])
            return nil
        }
        if !method.usable { errors.add("payment_method_id", "inactive_payment_method") }
        return method.usable ? .existing(id) : nil
    }

    /// Census: a person (found) or a campaign is required; an unknown person with a
    /// campaign filters by the campaign alone (orders_controller.rb).
    private func total(_ request: HTTPRequest) throws -> HTTPResponse {
        let params = try params(request)
        let person = try params.string("person_id").flatMap { try store.person(qualifiedID: $0) }
        // `if params[:campaign_code]`: sent at all, even empty, it is a filter (Ruby's "" is true).
        let campaign: String?
        switch params.raw("campaign_code") {
        case nil, .null?: campaign = nil
        case .string(let text)?: campaign = text
        default: campaign = params.string("campaign_code")
        }
        guard person != nil || campaign != nil else { throw CensusError.unprocessable }
        // Sent at all, even empty, the date must be readable: Census parses any given value
        // (`Time.parse(params[:from_date])`), and an empty one does not parse.
        func date(_ name: String) throws -> Int64? {
            guard params.has(name) else { return nil }
            guard let ms = params.string(name).flatMap(CensusDate.parse) else { throw CensusError.unprocessable }
            return ms
        }
        let amount = try store.total(
            campaign: campaign, person: person, from: try date("from_date"), until: try date("until_date"))
        return .json(["amount": .int(amount)])
    }

    // MARK: payment methods

    private func paymentMethods(_ request: HTTPRequest) throws -> HTTPResponse {
        let params = try params(request)
        guard let person = try params.string("person_id").flatMap({ try store.person(qualifiedID: $0) }) else {
            throw CensusError.unprocessable
        }
        return .json(.array(try store.paymentMethods(person: person).map(\.json)))
    }

    private func paymentMethod(_ request: HTTPRequest) throws -> HTTPResponse {
        guard let id = request.parameters["id"].flatMap({ Int($0) }),
              let method = try methods.value(id, load: { try store.paymentMethod(id: id) }) else {
            throw CensusError.notFound("no payment method \(request.parameters["id"] ?? "")")
        }
        return .json(method.json)
    }
}

/// Census has no authentication: access is by an IP allow-list, loopback always allowed.
public struct CensusAccess: Sendable {
    public let allowed: [String]

    public init(allowed: [String] = []) { self.allowed = allowed }

    /// Whether a client at `host` (`HTTPRequest.remoteHost`) may call.
    func allows(_ host: String) -> Bool {
        host == "::1" || host.hasPrefix("127.") || host.isEmpty || allowed.contains(host)
    }
}
