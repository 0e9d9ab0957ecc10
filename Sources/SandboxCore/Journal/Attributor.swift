import HTTPServer
import Synchronization

/// Attributes a journaled request (on the journal's flush, off the request path): its documented
/// route (the provider's route table), its account (`Provider.caller(of:)`) and its payment
/// (`Provider.conduct`). What repeats is remembered: the route of a method and path, and the
/// account of an `Authorization` header (a provider's caller reads that header first, when there
/// is one), so that a burst of the same call costs a lookup each.
final class Attributor: Sendable {
    /// A class: looked up per request, one retain instead of a copy of its tables.
    private final class Known: Sendable {
        let provider: any Provider
        let table: RouteTable
        let conduct: Conduct

        init(provider: any Provider, table: RouteTable, conduct: Conduct) {
            self.provider = provider
            self.table = table
            self.conduct = conduct
        }
    }

    /// Keys of the strings a request has already (hashed, never joined: no allocation).
    private struct RouteKey: Hashable {
        let provider: String, method: String, mount: String, path: String
    }

    private struct CallerKey: Hashable {
        let provider: String, authorization: String
    }

    typealias Match = (route: String, parameters: [String: String])

    /// The last request's route and caller, with the places its route names a payment: a burst
    /// of one call compares its keys instead of hashing them.
    private struct Last {
        let route: RouteKey
        let match: Match?
        let places: [Conduct.Place]
        let caller: CallerKey?
        let account: Int?
    }

    private struct Memory {
        var routes: [RouteKey: (route: String, parameters: [String: String])?] = [:]
        var callers: [CallerKey: Int] = [:]
        var last: Last?
    }

    private let known: [String: Known]
    private let context: SandboxContext
    private let memory = Mutex(Memory())
    /// Entries remembered at most (of each kind) before forgetting them all.
    static let memoryLimit = 4096

    init(_ providers: [any Provider], tables: [String: [String]], context: SandboxContext) {
        known = Dictionary(
            providers.map { provider in
                (provider.key, Known(provider: provider, table: RouteTable(tables[provider.key] ?? []),
                                     conduct: provider.conduct))
            },
            uniquingKeysWith: { a, _ in a })
        self.context = context
    }

    func attribute(_ entry: RequestJournal.Pending) -> Attribution {
        guard let known = known[entry.provider] else { return Attribution() }
        var request = entry.request
        let routeKey = RouteKey(provider: known.provider.key, method: request.method, mount: request.mountPrefix,
                                path: request.path)
        let callerKey = request.headers["Authorization"].map {
            CallerKey(provider: known.provider.key, authorization: $0)
        }
        let last = memory.withLock { $0.last }
        var match = last?.match, account = last?.account, places = last?.places ?? []
        if last?.route != routeKey {
            match = route(known, request, routeKey)
            places = match.flatMap { known.conduct.payments[$0.route] } ?? []
        }
        if callerKey == nil || last?.caller != callerKey { account = caller(known, request, callerKey) }
        memory.withLock { $0.last = Last(route: routeKey, match: match, places: places, caller: callerKey,
                                         account: account) }
        guard let (route, parameters) = match else { return Attribution(account: account) }
        guard !places.isEmpty else { return Attribution(account: account, route: route) }
        request.parameters = parameters
        let payment = known.conduct.payment(route: route, request: request, parameters: parameters) {
            try? JSON.parse(entry.responseBody)
        }
        return Attribution(account: account, route: route, payment: payment)
    }

    /// Forgets what it remembered (a reset or a restore: tokens and accounts start again).
    func forget() { memory.withLock { $0 = Memory() } }

    private func route(_ known: Known, _ request: HTTPRequest, _ key: RouteKey)
        -> (route: String, parameters: [String: String])?
    {
        if let remembered = memory.withLock({ $0.routes[key] }) { return remembered }
        let match = known.table.match(method: request.method, segments: Faults.relativeSegments(request))
        memory.withLock { memory in
            if memory.routes.count >= Self.memoryLimit { memory.routes = [:] }
            memory.routes[key] = .some(match)
        }
        return match
    }

    private func caller(_ known: Known, _ request: HTTPRequest, _ key: CallerKey?) -> Int? {
        let scoped = { [context] in context.scoped(to: known.provider) }
        guard let key else { return known.provider.caller(of: request, scoped()) }
        if let remembered = memory.withLock({ $0.callers[key] }) { return remembered }
        // An unknown header may name an account made later (a fresh account's login): not remembered.
        guard let account = known.provider.caller(of: request, scoped()) else { return nil }
        memory.withLock { memory in
            if memory.callers.count >= Self.memoryLimit { memory.callers = [:] }
            memory.callers[key] = account
        }
        return account
    }
}
