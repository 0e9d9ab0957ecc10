import HTTPServer
import Locks

/// Attributes a journaled request (on the request path, after its answer): its documented
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

    /// The last request's route and caller: a burst of one call compares its keys instead of
    /// hashing them.
    private struct Last {
        let routeKey: RouteKey
        let route: String?
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
    /// A pthread mutex: every request takes it (`Lock` says why not `Synchronization.Mutex`).
    private let memory = Locked(Memory())
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

    /// Its account and route, on the request path (remembered: a burst of one call compares keys).
    /// Its payment is found when the journal is read (`payment(provider:route:request:responseBody:)`).
    func attribute(provider key: String, request: HTTPRequest) -> Attribution {
        guard let known = known[key] else { return Attribution() }
        let routeKey = RouteKey(provider: key, method: request.method, mount: request.mountPrefix, path: request.path)
        let callerKey = request.headers["Authorization"].map { CallerKey(provider: key, authorization: $0) }
        let last = memory.withLock { $0.last }
        var route = last?.route, account = last?.account
        let sameRoute = last?.routeKey == routeKey
        if !sameRoute { route = self.route(known, request, routeKey)?.route }
        let sameCaller = callerKey != nil && last?.caller == callerKey
        if !sameCaller { account = caller(known, request, callerKey) }
        if !sameRoute || !sameCaller {
            memory.withLock { $0.last = Last(routeKey: routeKey, route: route, caller: callerKey, account: account) }
        }
        return Attribution(account: account, route: route)
    }

    /// The payment a journaled call of `route` names (`Provider.conduct`): from its path, its
    /// parameters or its answer. Off the request path: the journal finds it as it reads.
    func payment(provider key: String, route: String, request: HTTPRequest, responseBody: [UInt8]) -> String? {
        guard let known = known[key], known.conduct.payments[route]?.isEmpty == false else { return nil }
        let routeKey = RouteKey(provider: key, method: request.method, mount: request.mountPrefix, path: request.path)
        guard let (matched, parameters) = self.route(known, request, routeKey), matched == route else { return nil }
        var request = request
        request.parameters = parameters
        return known.conduct.payment(route: route, request: request, parameters: parameters) {
            try? JSON.parse(responseBody)
        }
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
