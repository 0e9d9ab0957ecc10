import HTTPServer
import SQLiteStore
import SandboxCore

/// Paytomat's API (paytomat.txt) under `/api/v1/`: Basic or JWT Bearer on every call.
struct PaytomatRoutes {
    let context: ProviderContext

    func router() -> Router {
        var router = Router()
        router.get("/api/v1/token") { request in
            let merchant = try authenticate(request)
            return .json(["token": .string(try PaytomatJWT.sign(merchant: merchant, context: context))])
        }
        router.get("/api/v1/currencies") { request in
            _ = try authenticate(request)
            return PaytomatCurrency.listing
        }
        router.get("/api/v1/exchange_rates") { request in try exchangeRates(request) }
        router.get("/api/v1/balance") { request in try balance(request) }
        router.post("/api/v1/create_transaction") { request in try await createTransaction(request) }
        router.post("/api/v1/cancel_transaction") { request in try await cancel(request) }
        router.post("/api/v1/chargeback_transaction") { request in try await chargeback(request) }
        router.get("/api/v1/transaction") { request in try transaction(request) }
        router.get("/api/v1/transactions") { request in try transactions(request) }
        router.post("/api/v1/broadcast_transaction") { request in try await broadcast(request) }
        router.get("/api/v1/product") { request in try product(request) }
        router.post("/api/v1/create_product") { request in try await createProduct(request) }
        router.put("/api/v1/product/:id") { request in try await updateProduct(request) }
        router.get("/api/v1/payment_url") { request in
            let account = try merchantAccount(request)
            return .json(["url": .string(request.mountURL + "/pay/" + PaytomatWidget.code(for: account))])
        }
        let widget = PaytomatWidget(context: context)
        router.get("/pay/:code") { request in try widget.shop(request) }
        router.post("/pay/:code", SandboxPage.action { request in try await widget.buy(request) })
        router.get("/pay/tx/:code") { request in try widget.transaction(request) }
        router.post("/pay/tx/:code", SandboxPage.action { request in try await widget.simulate(request) })
        return router
    }

    /// The merchant's id (see `merchantAccount`).
    func authenticate(_ request: HTTPRequest) throws -> Int { try merchantAccount(request).id }

    /// Basic (header, or credentials in the URL as curl sends them) or a JWT Bearer token;
    /// the merchant's account, settings included, from the one lookup auth needs anyway.
    func merchantAccount(_ request: HTTPRequest) throws -> Accounts.Account {
        if let (user, password) = request.basicCredentials {
            guard let account = try context.authenticate(login: user, secret: password) else {
                throw PaytomatError.unauthorized("Invalid username or password")
            }
            return account
        }
        if let token = request.bearerToken {
            guard let merchant = try PaytomatJWT.verify(token, context: context),
                  let account = try context.account(id: merchant) else {
                throw PaytomatError.unauthorized("Invalid or expired token")
            }
            return account
        }
        throw PaytomatError.unauthorized("Authorization required: Basic or Bearer")
    }

    private var store: PaytomatStore { PaytomatStore(context: context) }

    private func balance(_ request: HTTPRequest) throws -> HTTPResponse {
        let merchant = try authenticate(request)
        let totals = try store.balance(merchant: merchant)
        return .json(["balance": .object(PaytomatCurrency.all.map { c in
            (c.code, JSON.number(PaytomatCurrency.format(totals[c.code] ?? 0, places: c.decimals)))
        })])
    }

    func createTransaction(_ request: HTTPRequest) async throws -> HTTPResponse {
        let account = try merchantAccount(request), merchant = account.id
        let input = try Input<PaytomatError>(request)
        let ref = try input.text("ref", max: 255)
        guard let orderID = try input.text("order_id", max: 255) ?? ref else {
            throw PaytomatError.invalid("order_id is required (or ref)")
        }
        guard orderID.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
            throw PaytomatError.invalid("order_id must be alphanumeric")
        }
        let table = PaytomatCurrency.table(settings: account.settings)
        let currencyIn = try input.currency("currency_in", direction: \.incoming, table: table)
        let currencyOut = try input.currency("currency_out", direction: \.outgoing, table: table)
        let amountIn = try input.decimal("amount_in", places: 8, kind: "float")
        let callback = try input.url("callback_url", max: 2048)
        let now = context.clock.nowMilliseconds()
        let plan = try context.settlePlan(account: merchant, request: request, forced: PaytomatMagic.outcome(amountIn))
        let created = try await store.create(
            merchant: merchant,
            .init(orderID: orderID, ref: ref ?? "\(orderID)_\(now / 1000)", currencyIn: currencyIn,
                  currencyOut: currencyOut, amountIn: amountIn, callbackURL: callback, productID: nil, details: nil),
            plan: plan, timing: PaytomatTiming(settings: account.settings))
        return .json([
            "amount_out": .number(created.amountOut), "currency_out": .string(currencyOut.code), "id": .int(created.id),
            "qr_code": .string(created.qrCode), "rate": .number(created.rate), "address": .string(created.address),
            "note": .string(PaytomatStore.note),
            // Not in the document; shop plugins send the payer here (see docs/paytomat.md, decisions).
            "track_url": .string(PaytomatWidget.trackURL(request, code: created.code)),
        ])
    }

    private func ownTransaction(_ request: HTTPRequest) throws -> (Accounts.Account, PaytomatStore.Transaction) {
        let account = try merchantAccount(request)
        let id = try Input<PaytomatError>(request).requiredInteger("id")
        guard let transaction = try store.transaction(merchant: account.id, id: id) else {
            throw PaytomatError.notFound("Transaction \(id) not found")
        }
        return (account, transaction)
    }

    private func cancel(_ request: HTTPRequest) async throws -> HTTPResponse {
        let id = try ownTransaction(request).1.id
        if let status = try await store.cancel(id: id) {
            throw PaytomatError.conflict("Transaction \(id) is \(status.rawValue) and cannot be cancelled")
        }
        return .json(["status": "cancelled", "status_description": "Transaction has been cancelled"])
    }

    private func chargeback(_ request: HTTPRequest) async throws -> HTTPResponse {
        let (account, transaction) = try ownTransaction(request)
        let id = transaction.id
        let seconds = max(PaytomatTiming(settings: account.settings).confirmationSeconds, 1)
        if let status = try await store.requestChargeback(id: id, seconds: seconds) {
            throw PaytomatError.conflict(
                "Transaction \(id) is \(status.rawValue): only a successful transaction can be charged back")
        }
        return .json(["status": "chargeback_scheduled",
                      "status_description": "Transaction has been scheduled for chargeback"])
    }

    private func transaction(_ request: HTTPRequest) throws -> HTTPResponse {
        .json(["transaction": try ownTransaction(request).1.json])
    }

    private func transactions(_ request: HTTPRequest) throws -> HTTPResponse {
        let merchant = try authenticate(request)
        let input = try Input<PaytomatError>(request)
        let status = try input.oneOf("status", PaytomatStore.Status.allCases.map(\.rawValue))
        let limit = try input.integer("limit")
        if let limit, !(1...100).contains(limit) {
            throw PaytomatError.invalid("limit must be an integer from 1 to 100")
        }
        let offset = try input.integer("offset")
        if let offset, offset < 0 { throw PaytomatError.invalid("offset must be 0 or more") }
        var orderBy = try input.text("order_by", max: 20) ?? "id"
        let descending = orderBy.hasPrefix("-")
        if descending { orderBy.removeFirst() }
        guard PaytomatStore.orderColumns[orderBy] != nil else {
            throw PaytomatError.invalid(
                "order_by must be one of id, status, updated, created, order_id, ref, optionally with -")
        }
        return .json(["transactions": .array(try store.list(merchant: merchant, status: status, orderBy: orderBy,
                                                            descending: descending, limit: limit ?? 100,
                                                            offset: offset ?? 0))])
    }

    private func broadcast(_ request: HTTPRequest) async throws -> HTTPResponse {
        let merchant = try authenticate(request)
        let input = try Input<PaytomatError>(request)
        let currency = try input.currency("currency")
        let txid = try input.requiredText("txid", max: 128)
        let receiver = try input.requiredText("receiver", max: 128)
        let amount = try input.decimal("amount", places: 8)
        try await store.recordBroadcast(merchant: merchant, currency: currency.code, txid: txid, receiver: receiver,
                                  amount: PaytomatCurrency.format(amount, places: 8))
        return .json(["success": 1])
    }

    private func product(_ request: HTTPRequest) throws -> HTTPResponse {
        let merchant = try authenticate(request)
        let id = try Input<PaytomatError>(request).requiredInteger("id")
        guard let product = try store.productJSON(merchant: merchant, id: id) else {
            throw PaytomatError.notFound("Product \(id) not found")
        }
        return .json(["product": product])
    }

    private func createProduct(_ request: HTTPRequest) async throws -> HTTPResponse {
        let merchant = try authenticate(request)
        let values = try Input<PaytomatError>(request).productValues(required: true)
        return .json(["id": .int(try await store.createProduct(merchant: merchant, values: values))])
    }

    private func updateProduct(_ request: HTTPRequest) async throws -> HTTPResponse {
        let merchant = try authenticate(request)
        guard let id = request.parameters["id"].flatMap({ Int($0) }) else {
            throw PaytomatError.invalid("id must be an integer")
        }
        let values = try Input<PaytomatError>(request).productValues(required: false)
        guard try await store.updateProduct(merchant: merchant, id: id, values: values) else {
            throw PaytomatError.notFound("Product \(id) not found")
        }
        return .json(["updated": .int(values.isEmpty ? 0 : 1)])
    }

    private func exchangeRates(_ request: HTTPRequest) throws -> HTTPResponse {
        let table = PaytomatCurrency.table(settings: try merchantAccount(request).settings)
        let currency = try Input<PaytomatError>(request).currency("currency", table: table)
        let rates = table.map { ($0.code, JSON.string(PaytomatCurrency.formatRate(currency.rate(to: $0)))) }
        return .json(["rates": .object(rates)])
    }
}
