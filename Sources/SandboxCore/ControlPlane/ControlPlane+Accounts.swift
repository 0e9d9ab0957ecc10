import HTTPServer

/// The control plane's accounts: create one, read one, merge its settings.
extension ControlPlane {
    func createAccount(_ request: HTTPRequest) throws -> HTTPResponse {
        let body = try request.controlPlaneJSON()
        guard let key = body["provider"]?.stringValue else {
            throw ControlPlaneError.badRequest("provider is required")
        }
        guard let provider = try knownProvider(key) else { throw ControlPlaneError.badRequest("provider is required") }
        do {
            let account = try context.accounts.create(provider, try AccountRequest(body, provider: provider))
            return .json(describe(account, provider, request), status: 201)
        } catch let error as FieldError {
            throw error.conflict
                ? ControlPlaneError.conflict(error.description) : ControlPlaneError.badRequest(error.description)
        }
    }

    func findAccount(_ request: HTTPRequest) throws -> (any Provider, Accounts.Account) {
        guard let provider = try knownProvider(request.parameters["provider"]),
              let text = request.parameters["account"], let id = Int(text),
              let account = try context.accounts.find(provider: provider.key, id: id) else {
            throw ControlPlaneError.notFound(
                "no \(request.parameters["provider"] ?? "") account '\(request.parameters["account"] ?? "")'")
        }
        return (provider, account)
    }

    func account(_ request: HTTPRequest) throws -> HTTPResponse {
        let (provider, account) = try findAccount(request)
        return .json(describe(account, provider, request))
    }

    func updateAccount(_ request: HTTPRequest) throws -> HTTPResponse {
        let (provider, account) = try findAccount(request)
        let patch = try request.controlPlaneJSON()
        do {
            try context.accounts.mergeSettings(provider: provider.key, id: account.id, patch)
        } catch let error as OutcomeError {
            throw ControlPlaneError.badRequest(error.description)
        }
        guard let updated = try context.accounts.find(provider: provider.key, id: account.id) else {
            throw ControlPlaneError.notFound("account disappeared")
        }
        return .json(describe(updated, provider, request))
    }

    /// The account with its credentials also under the provider's own names, the base URL a
    /// client of it starts from and an inbox for its callbacks (on the port this request came in on).
    func describe(_ account: Accounts.Account, _ provider: any Provider, _ request: HTTPRequest) -> JSON {
        let seed = AccountSeed(login: account.login, secret: account.secret)
        var fields: [(String, JSON)] = []
        if let names = provider.credentialNames {
            fields = [(names.login, .string(account.login)), (names.secret, .string(account.secret))]
        }
        fields.append(
            ("api_url", .string(provider.apiURL(mountURL: request.baseURL + "/" + provider.key, account: seed))))
        fields.append(("inbox_url", .string(request.baseURL + "/_sandbox/inbox/\(provider.key)-\(account.id)")))
        fields.append(
            (
                "settle",
                ((try? SettleSettings.parse(account.settings["settle"] ?? .null)) ?? provider.defaultSettle).json
            ))
        return account.json.merging(.object(fields))
    }
}
