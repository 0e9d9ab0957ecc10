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
        router.get(api + "/options") { .data(try options(caller($0))) }
        router.get(api + "/countries") { _ = try caller($0); return .data(.array(PayXTodayData.countries)) }
        router.get(api + "/payment-systems") { request in
            let reseller = try caller(request).reseller
            return .data(["reseller": .int(reseller),
                          "payment_systems": .array(PayXTodayData.paymentSystems(reseller: reseller).map(\.json))])
        }
        router.get(api + "/clients") { .data(try client(caller($0))) }
        router.get(api + "/clients/find/email") { .data(try clientByEmail(caller($0))) }
        router.get(api + "/clients/payment-systems") { .data(try clientPaymentSystems(caller($0))) }
        router.post(api + "/clients/create") { .data(try await createClient(caller($0))) }
        router.post(api + "/clients/update") { .data(try await updateClient(caller($0))) }
        router.post(api + "/clients/delete") { .data(try await deleteClient(caller($0))) }
        router.get(api + "/payments") { .data(try payments(caller($0))) }
        router.get(api + "/payments/id") { .data(try paymentByID(caller($0))) }
        router.get(api + "/payments/uuid") { .data(try paymentByUUID(caller($0))) }
        router.post(api + "/payments/create") { .data(try await createPayment(caller($0))) }
        router.post(api + "/payments/delete") { .data(try await deletePayment(caller($0))) }
        // Each queues a delivery: they await their commit.
        for (path, success) in [("/webhook/test/success", true), ("/webhook/test/error", false)] {
            router.get(api + path) { .data(try await testWebhook(caller($0).reseller, success: success)) }
        }
        let page = PayXTodayPage(context: context)
        router.get("/pay/:uuid") { try page.show($0) }
        router.post("/pay/:uuid", SandboxPage.action { try await page.submit($0) })
        return router
    }

    /// Who calls (the reseller, its key checked) and with what.
    struct Caller {
        /// Its reseller id is its account's (`loginIsAccountID`).
        let account: Accounts.Account
        var reseller: Int { account.id }
        let params: Input<PayXTodayError>
        let request: HTTPRequest
    }

    private func caller(_ request: HTTPRequest) throws -> Caller {
        let key = request.parameters["secret_key"] ?? ""
        guard let reseller = request.parameters["id_reseller"].flatMap({ Int($0) }),
              let account = try context.authenticate(login: String(reseller), secret: key)
        else { throw PayXTodayError.wrongKey(key) }
        return Caller(account: account, params: try Input(request), request: request)
    }

    // MARK: options

    private func options(_ c: Caller) throws -> JSON {
        let s = c.account.settings
        func url(_ group: String, _ which: String) -> JSON {
            s[group]?["payments"]?[which].flatMap { $0.stringValue.map(JSON.string) } ?? .null
        }
        return [
            "reseller": .int(c.reseller),
            "key": .string(c.account.secret),
            "name": .string(s["name"]?.stringValue ?? "Sandbox reseller \(c.reseller)"),
            "notifications": [
                "email": s["notifications"]?["email"] ?? .string("reseller\(c.reseller)@sandbox.test"),
                "telegram": s["notifications"]?["telegram"] ?? .null,
            ],
            "callback": ["payments": ["success": url("callback", "success"), "error": url("callback", "error")]],
            "webhook": ["payments": ["success": url("webhook", "success"), "error": url("webhook", "error")]],
        ]
    }

    // MARK: clients

    private func client(_ c: Caller) throws -> JSON {
        let id = try c.params.requiredInteger("id_client")
        guard let client = try store.client(reseller: c.reseller, id: id) else {
            throw PayXTodayError.notFound("Client \(id) not found")
        }
        return client.json()
    }

    /// Not in the document: what the public WooCommerce plugin (kaizen-design/payments-today) asks
    /// before it creates a payment, reading `data.payment_systems[].id_payment_system` and `name`.
    /// The reseller's payment systems: the document ties none to a country (docs/payxtoday.md).
    private func clientPaymentSystems(_ c: Caller) throws -> JSON {
        let id = try c.params.requiredInteger("id_client")
        guard try store.client(reseller: c.reseller, id: id) != nil else {
            throw PayXTodayError.notFound("Client \(id) not found")
        }
        return ["reseller": .int(c.reseller), "id_client": .int(id),
                "payment_systems": .array(PayXTodayData.paymentSystems(reseller: c.reseller).map(\.json))]
    }

    private func clientByEmail(_ c: Caller) throws -> JSON {
        let email = try c.params.email("email", required: true) ?? ""
        guard let client = try store.client(reseller: c.reseller, email: email) else {
            throw PayXTodayError.notFound("Client with email \(email) not found")
        }
        return client.json()
    }

    private func createClient(_ c: Caller) async throws -> JSON {
        let name = try c.params.requiredText("name", max: 100)
        let country = try c.params.country(required: true) ?? 0
        let email = try c.params.email("e_mail", required: true) ?? ""
        var optional: [String: String?] = [:]
        for field in PayXTodayStore.clientFields { optional[field] = try c.params.clientField(field) }
        return try await store.createClient(
            reseller: c.reseller, name: name, country: country, email: email, optional: optional)?.json() ?? .null
    }

    private func updateClient(_ c: Caller) async throws -> JSON {
        let id = try c.params.requiredInteger("id_client")
        var changes: [(String, SQLValue)] = []
        if c.params.has("name") { changes.append(("name", .text(try c.params.requiredText("name", max: 100)))) }
        if c.params.has("id_country") {
            changes.append(("id_country", .integer(Int64(try c.params.country(required: true) ?? 0))))
        }
        for field in PayXTodayStore.clientFields where c.params.has(field) {
            changes.append((field, try c.params.clientField(field).sqlValue))
        }
        guard let client = try await store.updateClient(reseller: c.reseller, id: id, changes: changes) else {
            throw PayXTodayError.notFound("Client \(id) not found")
        }
        return client.json()
    }

    private func deleteClient(_ c: Caller) async throws -> JSON {
        let id = try c.params.requiredInteger("id_client")
        guard try await store.deleteClient(reseller: c.reseller, id: id) else {
            throw PayXTodayError.notFound("Client \(id) not found")
        }
        return ["success": 1]
    }

    // MARK: payments

    private func payments(_ c: Caller) throws -> JSON {
        let id = try c.params.requiredInteger("id_client")
        guard try store.client(reseller: c.reseller, id: id) != nil else {
            throw PayXTodayError.notFound("Client \(id) not found")
        }
        return .array(try store.payments(reseller: c.reseller, client: id))
    }

    private func paymentByID(_ c: Caller) throws -> JSON {
        let id = try c.params.requiredInteger("id_payment")
        guard let payment = try store.paymentJSON(reseller: c.reseller, id: id) else {
            throw PayXTodayError.notFound("Payment \(id) not found")
        }
        return payment
    }

    private func paymentByUUID(_ c: Caller) throws -> JSON {
        let uuid = try c.params.requiredText("uuid_payment", max: .max)
        guard uuid.unicodeScalars.count == 40 else {
            throw PayXTodayError.invalid("The uuid_payment must be 40 characters.")
        }
        guard let payment = try store.paymentJSON(reseller: c.reseller, uuid: uuid) else {
            throw PayXTodayError.notFound("Payment \(uuid) not found")
        }
        return payment
    }

    private func createPayment(_ c: Caller) async throws -> JSON {
        let client = try c.params.requiredInteger("id_client")
        guard let embedded = try store.client(reseller: c.reseller, id: client)?.json(embedded: true) else {
            throw PayXTodayError.invalid("The selected id_client is invalid.")
        }
        let price = try c.params.price()
        let period = try c.params.requiredInteger("period")
        guard (1...1200).contains(period) else {
            throw PayXTodayError.invalid("The period must be between 1 and 1200 months.")
        }
        let systems = PayXTodayData.paymentSystems(reseller: c.reseller)
        // Required where the reseller has more than one.
        let system = c.params.has("id_payment_system") || systems.count > 1
            ? try c.params.requiredInteger("id_payment_system") : systems[0].id
        guard systems.contains(where: { $0.id == system }) else {
            throw PayXTodayError.invalid("The selected id_payment_system is invalid.")
        }
        let description = try c.params.text("description", max: 500)
        let success = try c.params.url("url_success", max: 255)
        let error = try c.params.url("url_error", max: 255)
        let plan = try context.settlePlan(account: c.reseller, request: c.request)
        return try await store.createPayment(
            reseller: c.reseller, .init(client: client, paymentSystem: system, period: period, price: price,
                                      description: description, urlSuccess: success, urlError: error),
            plan: plan, client: embedded)
    }

    private func deletePayment(_ c: Caller) async throws -> JSON {
        let id = try c.params.requiredInteger("id_payment")
        switch try await store.deletePayment(reseller: c.reseller, id: id) {
        case .some(true): return ["success": 1]
        case .some(false): throw PayXTodayError.notFound("Payment \(id) not found")
        case .none: throw PayXTodayError.status(409, "Payment \(id) is paid and cannot be deleted.")
        }
    }

    // MARK: webhooks

    /// Sends the documented sample at once to the reseller's webhook URL. Each is a queue
    /// entry of its own (the sample's payment ids are fixed): it waits for no earlier test
    /// webhook, and no other reseller's.
    private func testWebhook(_ reseller: Int, success: Bool) async throws -> JSON {
        let body: [(String, JSON)] = [
            ("reseller", .int(reseller)), ("id_client", 123456), ("id_payment", 123),
            ("uuid_payment", "4523698skjsjsskj2k2jkbhs"), ("id_payment_system", 1), ("period", 1), ("price", 100),
            ("success", .int(success ? 1 : 0)),
            success ? ("paid_at", "2024-01-01 00:01:05") : ("error_message", "5051 (Insufficient funds)"),
            ("created_at", "2024-01-01 00:01:00"), ("description", "order 125"),
        ]
        let sent = try await store.enqueueTestWebhook(reseller: reseller, key: "webhook-test-" + context.ids.hex(6),
                                                      success: success, body: .object(body))
        return ["sent": .int(sent ? 1 : 0)]
    }
}
