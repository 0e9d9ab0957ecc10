import Dispatch
import Foundation
import HTTPServer
import SQLiteStore
import Locks

/// A fixtures file (`--fixtures`): the accounts a team wants, with fixed credentials and
/// settings; entries of a provider's own control-plane collections (`census_persons`); and
/// payments made through each provider's own create call, so that they are real, with their
/// jobs and callbacks. Its shape mirrors the control plane (docs/snapshots.md).
public struct Fixtures: Sendable {
    public let file: String
    let document: JSON
    /// Only the file's accounts: no default ones (`--fixtures-only`).
    public let only: Bool
    /// Tells one file's contents (and `only`) from another's: the state records which it holds.
    let fingerprint: String

    /// Reads and parses `file`; a `FixtureError` says what is wrong with it.
    public static func load(_ file: String, only: Bool) throws(FixtureError) -> Fixtures {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw FixtureError(file: file, path: "", message: "cannot be read")
        }
        let bytes = Array(data)
        let document: JSON
        do {
            document = try JSON.parse(bytes)
        } catch {
            throw FixtureError(file: file, path: "", message: "is not JSON: \(error)")
        }
        guard document.objectValue != nil else {
            throw FixtureError(file: file, path: "", message: "must be a JSON object like {\"accounts\": [...]}")
        }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes + [only ? 1 : 0] { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return Fixtures(file: file, document: document, only: only, fingerprint: String(hash, radix: 16))
    }

    /// Makes the file's state in `sandbox` (a fresh one): accounts, then collections, then
    /// payments, in the file's order. Throws a `FixtureError` at the first entry that fails.
    func apply(to sandbox: Sandbox) throws(FixtureError) {
        let run = FixtureRun(fixtures: self, sandbox: sandbox)
        let outcome = Locked<Result<Void, FixtureError>?>(nil)
        let done = DispatchSemaphore(value: 0)
        // The providers' create calls may await their commit: they run as a task on a thread
        // of their own (not the shared pool, whose threads the caller may be holding), waited
        // for here (at start, on a reset's worker thread, in a test; never on an event loop).
        Task(executorPreference: QueueExecutor()) {
            do throws(FixtureError) {
                try await run.all()
                outcome.withLock { $0 = .success(()) }
            } catch {
                outcome.withLock { $0 = .failure(error) }
            }
            done.signal()
        }
        done.wait()
        try outcome.withLock { $0 }?.get()
    }
}

/// What is wrong with a fixtures file: the file, the path in it (`accounts[1].secret`), and why.
public struct FixtureError: Error, CustomStringConvertible, Sendable {
    public let file: String
    public let path: String
    public let message: String

    public var description: String { "\(file): \(path.isEmpty ? "" : path + ": ")\(message)" }
}

/// One application of a fixtures file to a sandbox.
private struct FixtureRun: Sendable {
    let fixtures: Fixtures
    let sandbox: Sandbox
    let providerRouters: [String: Router]
    let controlRouters: [String: Router]

    init(fixtures: Fixtures, sandbox: Sandbox) {
        self.fixtures = fixtures
        self.sandbox = sandbox
        providerRouters = Dictionary(
            uniqueKeysWithValues: sandbox.providers.map { ($0.key, sandbox.providerRouter($0)) })
        controlRouters = Dictionary(
            uniqueKeysWithValues: sandbox.providers.compactMap { p in
                p.controlRoutes(sandbox.context.scoped(to: p)).map { (p.key, $0) }
            })
    }

    func fail(_ path: String, _ message: String) -> FixtureError {
        FixtureError(file: fixtures.file, path: path, message: message)
    }

    func all() async throws(FixtureError) {
        let members = fixtures.document.objectValue ?? []
        let collections = members.filter { !["accounts", "requests", "payments"].contains($0.0) }
        for (key, value) in members {
            guard value.arrayValue != nil else { throw fail(key, "must be an array") }
        }
        for (index, entry) in (fixtures.document["accounts"]?.arrayValue ?? []).enumerated() {
            try account(entry, at: "accounts[\(index)]")
        }
        for (key, entries) in collections {
            for (index, entry) in (entries.arrayValue ?? []).enumerated() {
                try await collection(key, entry, at: "\(key)[\(index)]")
            }
        }
        for (index, entry) in (fixtures.document["requests"]?.arrayValue ?? []).enumerated() {
            try await request(entry, at: "requests[\(index)]")
        }
        for (index, entry) in (fixtures.document["payments"]?.arrayValue ?? []).enumerated() {
            try await payment(entry, at: "payments[\(index)]")
        }
    }

    private func provider(_ entry: JSON, at path: String) throws(FixtureError) -> any Provider {
        let known = sandbox.providers.map(\.key).joined(separator: ", ")
        guard entry.objectValue != nil else { throw fail(path, "must be a JSON object") }
        guard let key = entry["provider"]?.stringValue else {
            throw fail(path + ".provider", "is required (one of \(known))")
        }
        guard let provider = sandbox.provider(key) else {
            throw fail(path + ".provider", "unknown provider '\(key)' (known: \(known))")
        }
        return provider
    }

    /// An account entry: what `POST /_sandbox/accounts` takes and answers.
    private func account(_ entry: JSON, at path: String) throws(FixtureError) {
        let provider = try provider(entry, at: path)
        do {
            _ = try sandbox.context.accounts.create(provider, try AccountRequest(entry, provider: provider))
        } catch let error as FieldError {
            let taken = error.conflict && !fixtures.only ? " (a default account: --fixtures-only leaves them out)" : ""
            throw fail(error.field.isEmpty ? path : "\(path).\(error.field)", error.message + taken)
        } catch {
            throw fail(path, "could not be created: \(error)")
        }
    }

    /// `<provider>_<collection>` entries: each the body of `POST /_sandbox/<provider>/<collection>`.
    private func collection(_ key: String, _ entry: JSON, at path: String) async throws(FixtureError) {
        let known = ["accounts", "requests", "payments"] + sandbox.providers.filter { controlRouters[$0.key] != nil }
            .map { "\($0.key)_…" }
        let parts = key.split(separator: "_", maxSplits: 1).map(String.init)
        guard parts.count == 2, let router = controlRouters[parts[0]] else {
            throw fail(key, "is not a kind of fixture (known: \(known.joined(separator: ", ")))")
        }
        let answer = await send(router, method: "POST", target: "/" + parts[1], body: entry)
        if answer.status == 404 && path.hasSuffix("[0]") && sandbox.provider(parts[0]) != nil {
            throw fail(key, "\(parts[0]) has no collection '\(parts[1])' on its control plane")
        }
        guard (200 ..< 300).contains(answer.status) else {
            throw fail(path, Self.said(answer))
        }
    }

    /// A request entry: `provider`, `account`, `method` (default POST), `path` (a documented one;
    /// PayXToday's `{id_reseller}/{secret_key}` filled in), `body`: any call of the provider, made
    /// as that account (a PayXToday client before its payments, a Paytomat product).
    private func request(_ entry: JSON, at path: String) async throws(FixtureError) {
        let method = entry["method"]?.stringValue ?? "POST"
        guard let target = entry["path"]?.stringValue, target.hasPrefix("/") else {
            throw fail(path + ".path", "is required: one of the provider's documented paths, starting with /")
        }
        let provider = try provider(entry, at: path)
        _ = try await call(entry, provider, try account(of: entry, provider, at: path), at: path, method: method,
                           target: target)
    }

    /// A payment entry: `provider`, `account`, `body` (the provider's documented create body),
    /// and `outcome` ("success", "failure", or what the outcome call takes) to complete it at once.
    private func payment(_ entry: JSON, at path: String) async throws(FixtureError) {
        var outcome: Outcome?
        if let value = entry["outcome"], !value.isNull {
            do throws(OutcomeError) {
                outcome = try Outcome.parse(json: value.stringValue.map { ["outcome": .string($0)] } ?? value)
            } catch {
                throw fail(path + ".outcome", error.description)
            }
        }
        let provider = try provider(entry, at: path)
        let route = provider.createRoute.split(separator: " ", maxSplits: 1).map(String.init)
        let account = try account(of: entry, provider, at: path)
        let before = try newest(provider.key, account.id)
        let answer = try await call(entry, provider, account, at: path, method: route[0], target: route.last ?? "")
        guard let made = try newest(provider.key, account.id), made != before else {
            throw fail(path, "\(provider.createRoute) answered \(Self.said(answer)), but made no payment")
        }
        guard let outcome else { return }
        do {
            try sandbox.complete(provider, payment: made, with: outcome)
        } catch {
            throw fail(path + ".outcome", "could not complete the payment: \(error)")
        }
    }

    /// The entry's `account`: its login, or its id; the provider's first when absent.
    private func account(of entry: JSON, _ provider: any Provider, at path: String) throws(FixtureError)
        -> Accounts.Account
    {
        let accounts = sandbox.context.accounts
        let found: Accounts.Account?
        switch entry["account"] {
        case nil, .null?: found = try? accounts.list(provider: provider.key).first
        case .string(let login)?: found = try? accounts.find(provider: provider.key, login: login)
        case let value?: found = value.intValue.flatMap { id in try? accounts.find(provider: provider.key, id: id) }
        }
        guard let found else {
            throw fail(path + ".account", "no \(provider.key) account \(entry["account"]?.serialized() ?? "at all")")
        }
        return found
    }

    /// Sends the entry's `body` to `method target` of its provider as its account; an answer
    /// other than 2xx is a `FixtureError` quoting it.
    private func call(_ entry: JSON, _ provider: any Provider, _ account: Accounts.Account, at path: String,
                      method: String, target: String) async throws(FixtureError) -> HTTPResponse
    {
        // A GET or DELETE may go without a body; anything else sends one.
        let body = entry["body"]
        if body?.objectValue == nil && (body != nil || !["GET", "DELETE"].contains(method)) {
            throw fail(path + ".body", "is required: a JSON object, the body of \(method) \(target)")
        }
        guard let router = providerRouters[provider.key] else { throw fail(path + ".provider", "has no routes") }
        let seed = AccountSeed(login: account.login, secret: account.secret)
        let answer = await send(router, method: method, target: target, body: body, as: seed, of: provider)
        guard (200 ..< 300).contains(answer.status) else {
            throw fail(path + ".body", "\(method) \(target) answered \(Self.said(answer))")
        }
        return answer
    }

    /// The id of the account's newest payment.
    private func newest(_ provider: String, _ account: Int) throws(FixtureError) -> String? {
        do {
            return try sandbox.newestPayment(provider: provider, account: account)
        } catch {
            throw fail("payments", "could not be read back: \(error)")
        }
    }

    private func send(_ router: Router, method: String, target: String, body: JSON?,
                      as account: AccountSeed? = nil, of provider: (any Provider)? = nil) async -> HTTPResponse {
        var request = HTTPRequest(method: method, target: target, body: Array((body?.serialized() ?? "").utf8))
        request.headers.set("Host", "localhost")
        if body != nil { request.headers.set("Content-Type", "application/json") }
        request.remoteAddress = "127.0.0.1"
        let send: Send = { request in await router.respond(to: request) }
        if let account, let provider {
            request = await provider.authorize(request, as: account, send: send)
        }
        return await send(request)
    }

    /// An answer as a fixture error quotes it: its status and (the start of) its body.
    private static func said(_ answer: HTTPResponse) -> String {
        let text = String(decoding: answer.body.prefix(500), as: UTF8.self)
        return "\(answer.status)" + (text.isEmpty ? "" : " \(text)")
    }
}

/// Runs a task's jobs on a serial queue of its own.
private final class QueueExecutor: TaskExecutor {
    private let queue = DispatchQueue(label: "paysandbox.fixtures")

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }
}
