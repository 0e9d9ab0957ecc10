import HTTPServer
import SQLiteStore
import SandboxCore

/// PayXToday's reseller API (payxtoday.txt): every call under
/// `/api/v1/{id_reseller}/{secret_key}/`, success wrapped in `data`, errors in `error`.
struct PayXTodayRoutes {
    let context: ProviderContext
    var store: PayXTodayStore { PayXTodayStore(context: context) }

    func router() -> Router {
        var router = Router()
        let api = "/api/v1/:id_reseller/:secret_key"
        router.get(api + "/options") { try call($0, options) }
        router.get(api + "/countries") { try call($0) { _, _ in .array(PayXTodayData.countries) } }
        router.get(api + "/payment-systems") { try call($0) { reseller, _ in
            ["reseller": .int(reseller),
             "payment_systems": .array(PayXTodayData.paymentSystems(reseller: reseller).map(\.json))]
        } }
        router.get(api + "/clients") { try call($0, client) }
        router.get(api + "/clients/find/email") { try call($0, clientByEmail) }
        router.post(api + "/clients/create") { request in
            let (reseller, input) = try caller(request)
            return .data(try await createClient(reseller, input))
        }
        router.post(api + "/clients/update") { request in
            let (reseller, input) = try caller(request)
            return .data(try await updateClient(reseller, input))
        }
        router.post(api + "/clients/delete") { request in
            let (reseller, input) = try caller(request)
            return .data(try await deleteClient(reseller, input))
        }
        router.get(api + "/payments") { try call($0, payments) }
        router.get(api + "/payments/id") { try call($0, paymentByID) }
        router.get(api + "/payments/uuid") { try call($0, paymentByUUID) }
        router.post(api + "/payments/create") { request in
            let (reseller, input) = try caller(request)
            return .data(try await createPayment(reseller, input, request))
        }
        router.post(api + "/payments/delete") { request in
            let (reseller, input) = try caller(request)
            return .data(try await deletePayment(reseller, input))
        }
        // Each queues a delivery: they await their commit.
        for (path, success) in [("/webhook/test/success", true), ("/webhook/test/error", false)] {
            router.get(api + path) { request in
                .data(try await testWebhook(try caller(request).0, success: success))
            }
        }
        let page = PayXTodayPage(context: context)
        router.get("/pay/:uuid") { try page.show($0) }
        router.post("/pay/:uuid", SandboxPage.action { try await page.submit($0) })
        return router
    }

    /// A route that only reads: checks the reseller and key, reads the parameters, wraps the
    /// answer in `data`.
    private func call(_ request: HTTPRequest, _ body: (Int, Input<PayXTodayError>) throws -> JSON) throws
        -> HTTPResponse
    {
        let (reseller, input) = try caller(request)
        return .data(try body(reseller, input))
    }

    /// The reseller (its key checked) and the request's parameters.
    private func caller(_ request: HTTPRequest) throws -> (Int, Input<PayXTodayError>) {
        let key = request.parameters["secret_key"] ?? ""
        guard let reseller = request.parameters["id_reseller"].flatMap({ Int($0) }),
              try context.authenticate(login: String(reseller), secret: key) != nil
        else { throw PayXTodayError.wrongKey(key) }
        return (reseller, try Input(request))
    }

    // MARK: options

    private func options(_ reseller: Int, _ params: Input<PayXTodayError>) throws -> JSON {
        guard let account = try context.account(id: reseller) else {
            throw PayXTodayError.wrongKey("")
        }
        let s = account.settings
        func url(_ group: String, _ which: String) -> JSON {
            s[group]?["payments"]?[which].flatMap { $0.stringValue.map(JSON.string) } ?? .null
        }
        return [
            "reseller": .int(reseller),
            "key": .string(account.secret),
            "name": .string(s["name"]?.stringValue ?? "Sandbox reseller \(reseller)"),
            "notifications": [
                "email": s["notifications"]?["email"] ?? .string("reseller\(reseller)@sandbox.test"),
                "telegram": s["notifications"]?["telegram"] ?? .null,
            ],
            "callback": ["payments": ["success": url("callback", "success"), "error": url("callback", "error")]],
            "webhook": ["payments": ["success": url("webhook", "success"), "error": url("webhook", "error")]],
        ]
    }

    // MARK: clients

    private func client(_ reseller: Int, _ params: Input<PayXTodayError>) throws -> JSON {
        let id = try params.requiredInteger("id_client")
        guard let client = try store.client(reseller: reseller, id: id) else {
            throw PayXTodayError.notFound("Client \(id) not found")
        }
        return client.json()
    }

    private func clientByEmail(_ reseller: Int, _ params: Input<PayXTodayError>) throws -> JSON {
        let email = try params.email("email", required: true) ?? ""
        guard let client = try store.client(reseller: reseller, email: email) else {
            throw PayXTodayError.notFound("Client with email \(email) not found")
        }
        return client.json()
    }

    private func createClient(_ reseller: Int, _ params: Input<PayXTodayError>) async throws -> JSON {
        let name = try params.requiredText("name", max: 100)
        let country = try params.country(required: true) ?? 0
        let email = try params.email("e_mail", required: true) ?? ""
        var optional: [String: String?] = [:]
        for field in PayXTodayStore.clientFields { optional[field] = try params.clientField(field) }
        guard try store.client(reseller: reseller, email: email) == nil else {
            throw PayXTodayError.invalid("The e_mail has already been taken.")
        }
        return try await store.createClient(
            reseller: reseller, name: name, country: country, email: email, optional: optional)?.json() ?? .null
    }

    private func updateClient(_ reseller: Int, _ params: Input<PayXTodayError>) async throws -> JSON {
        let id = try params.requiredInteger("id_client")
        var changes: [(String, SQLValue)] = []
        if params.has("name") { changes.append(("name", .text(try params.requiredText("name", max: 100)))) }
        if params.has("id_country") {
            changes.append(("id_country", .integer(Int64(try params.country(required: true) ?? 0))))
        }
        for field in PayXTodayStore.clientFields where params.has(field) {
            changes.append((field, try params.clientField(field).sqlValue))
        }
        guard let client = try await store.updateClient(reseller: reseller, id: id, changes: changes) else {
            throw PayXTodayError.notFound("Client \(id) not found")
        }
        return client.json()
    }

    private func deleteClient(_ reseller: Int, _ params: Input<PayXTodayError>) async throws -> JSON {
        let id = try params.requiredInteger("id_client")
        guard try await store.deleteClient(reseller: reseller, id: id) else {
            throw PayXTodayError.notFound("Client \(id) not found")
        }
        return ["success": 1]
    }

    // MARK: payments

    private func payments(_ reseller: Int, _ params: Input<PayXTodayError>) throws -> JSON {
        let id = try params.requiredInteger("id_client")
        guard try store.client(reseller: reseller, id: id) != nil else {
            throw PayXTodayError.notFound("Client \(id) not found")
        }
        return .array(try store.payments(reseller: reseller, client: id))
    }

    private func paymentByID(_ reseller: Int, _ params: Input<PayXTodayError>) throws -> JSON {
        let id = try params.requiredInteger("id_payment")
        guard let payment = try store.paymentJSON(reseller: reseller, id: id) else {
            throw PayXTodayError.notFound("Payment \(id) not found")
        }
        return payment
    }

    private func paymentByUUID(_ reseller: Int, _ params: Input<PayXTodayError>) throws -> JSON {
        let uuid = try params.requiredText("uuid_payment", max: .max)
        guard uuid.count == 40 else { throw PayXTodayError.invalid("The uuid_payment must be 40 characters.") }
        guard let payment = try store.paymentJSON(reseller: reseller, uuid: uuid) else {
            throw PayXTodayError.notFound("Payment \(uuid) not found")
        }
        return payment
    }

    private func createPayment(_ reseller: Int, _ params: Input<PayXTodayError>, _ request: HTTPRequest) async throws
        -> JSON
    {
        let client = try params.requiredInteger("id_client")
        guard let embedded = try store.client(reseller: reseller, id: client)?.json(embedded: true) else {
            throw PayXTodayError.invalid("The selected id_client is invalid.")
        }
        let price = try params.price()
        let period = try params.requiredInteger("period")
        guard (1...1200).contains(period) else {
            throw PayXTodayError.invalid("The period must be between 1 and 1200 months.")
        }
        let systems = PayXTodayData.paymentSystems(reseller: reseller)
        let system: Int
        if params.has("id_payment_system") || systems.count > 1 {
            let id = try params.requiredInteger("id_payment_system")
            guard systems.contains(where: { $0.id == id }) else {
                throw PayXTodayError.invalid("The selected id_payment_system is invalid.")
            }
            system = id
        } else {
            system = systems[0].id
        }
        let description = try params.text("description", max: 500)
        let success = try params.url("url_success", max: 255)
        let error = try params.url("url_error", max: 255)
        let plan = try context.settlePlan(account: reseller, request: request)
        return try await store.createPayment(
            reseller: reseller,
            .init(
                client: client, paymentSystem: system, price: price, period: period,
                description: description, urlSuccess: success, urlError: error),
                                             plan: plan, client: embedded)
    }

    private func deletePayment(_ reseller: Int, _ params: Input<PayXTodayError>) async throws -> JSON {
        let id = try params.requiredInteger("id_payment")
        switch try await store.deletePayment(reseller: reseller, id: id) {
        case .some(true): return ["success": 1]
        case .some(false): throw PayXTodayError.notFound("Payment \(id) not found")
        case .none: throw PayXTodayError.invalid("Payment \(id) is paid and cannot be deleted.")
        }
    }

    // MARK: webhooks

    /// Sends the documented sample at once to the reseller's webhook URL. Each is a queue
    /// entry of its own (the sample's payment ids are fixed): it waits for no earlier test
    /// webhook, and no other reseller's.
    private func testWebhook(_ reseller: Int, success: Bool) async throws -> JSON {
        var body: [(String, JSON)] = [
            ("reseller", .int(reseller)), ("id_client", 123456), ("id_payment", 123),
            ("uuid_payment", "4523698skjsjsskj2k2jkbhs"),
            ("id_payment_system", 1), ("period", 1), ("price", 100), ("success", .int(success ? 1 : 0)),
        ]
        body.append(success ? ("paid_at", "2024-01-01 00:01:05") : ("error_message", "5051 (Insufficient funds)"))
        body += [("created_at", "2024-01-01 00:01:00"), ("description", "order 125")]
        let key = "webhook-test-" + context.ids.hex(6)
        let sent = try await store.enqueueTestWebhook(
            reseller: reseller, key: key, success: success, body: .object(body))
        return ["sent": .int(sent ? 1 : 0)]
    }
}
