import HTTPServer
import Locks

/// Attributes a journaled request (on the request path, after its answer): its documented
/// route (the provider's route table), its account (`Provider.caller(of:)`) and its payment
/// (`Provider.conduct`). What repeats is remembered: the route of a method and path, and the
/// account of an `Authorization` header (a provider's caller reads that header first, when there
/// is one), so that a burst of the same call costs a lookup each. The memory is the caller's
/// (`Memory`: the journal keeps one per lane, so that two cores never share it).
final class Attributor: Sendable {
    /// A class: looked up per attribution, one retain instead of a copy of its tables.
    private final class Known: Sendable {
        let provider: any Provider
        let table: RouteTable
        let conduct: Conduct
        /// The context its `caller` reads, made once (a copy per request had been a tenth of attributing).
        let scoped: ProviderContext

        init(provider: any Provider, table: RouteTable, conduct: Conduct, scoped: ProviderContext) {
            self.provider = provider
            self.table = table
            self.conduct = conduct
            self.scoped = scoped
        }
    }

    /// Keys of the strings a request has already (hashed, never joined: no allocation).
    fileprivate struct RouteKey: Hashable {
        let provider: String, method: String, mount: String, path: String
    }

    fileprivate struct CallerKey: Hashable {
        let provider: String, authorization: String
    }

    /// The last request's route and caller: a burst of one call compares its keys instead of
    /// hashing them.
    fileprivate struct Last {
        let routeKey: RouteKey
        let target: String
        let route: String?
        let caller: CallerKey?
        let account: Int?

        /// Its attribution, when `request` repeats it: an account found, the same route, and the
        /// same `Authorization` header or, without one, the same target and no body
        /// (`Provider.caller`). Credentials that named no account are asked again, as `caller`
        /// does: they may name one made since.
        func repeated(by request: HTTPRequest, _ provider: String, _ authorization: String?) -> Attribution? {
            guard account != nil, routeKey.method == request.method, routeKey.mount == request.mountPrefix,
                  routeKey.provider == provider
            else { return nil }
            let sameTarget = target == request.target
            guard sameTarget || routeKey.path == request.path else { return nil }
            if let authorization {
                guard caller?.authorization == authorization else { return nil }
            } else {
                guard caller == nil, sameTarget, request.body.isEmpty else { return nil }
            }
            return Attribution(account: account, route: route)
        }
    }

    /// What one lane remembers (a thread's own: the strings in it are never retained by
    /// two cores at once).
    struct Memory {
        fileprivate var routes: [RouteKey: (route: String, parameters: [String: String])?] = [:]
        fileprivate var callers: [CallerKey: Int] = [:]
        fileprivate var last: Last?
    }

    private let known: [String: Known]
    /// What reading the history remembers (`payment`).
    private let reading = Locked(Memory())
    /// Entries remembered at most (of each kind) before forgetting them all.
    static let memoryLimit = 4096

    init(_ providers: [any Provider], tables: [String: [String]], context: SandboxContext) {
        known = Dictionary(
            providers.map { provider in
                (provider.key, Known(provider: provider, table: RouteTable(tables[provider.key] ?? []),
                                     conduct: provider.conduct, scoped: context.scoped(to: provider)))
            },
            uniquingKeysWith: { a, _ in a })
    }

    /// Its account and route, on the request path (remembered: a burst of one call compares keys).
    /// Its payment is found when the journal is read (`payment(provider:route:request:responseBody:)`).
    func attribute(provider key: String, request: HTTPRequest, memory: inout Memory) -> Attribution {
        let authorization = request.headers["Authorization"]
        // Compared with the last request's in place: no key is made (or retained) for a burst.
        if let repeated = memory.last?.repeated(by: request, key, authorization) { return repeated }
        guard let known = known[key] else { return Attribution() }
        let routeKey = RouteKey(provider: key, method: request.method, mount: request.mountPrefix, path: request.path)
        let callerKey = authorization.map { CallerKey(provider: key, authorization: $0) }
        let route = self.route(known, request, routeKey, &memory)?.route
        let account = caller(known, request, callerKey, &memory)
        memory.last = Last(routeKey: routeKey, target: request.target, route: route, caller: callerKey,
                           account: account)
        return Attribution(account: account, route: route)
    }

    /// The payment a journaled call of `route` names (`Provider.conduct`): from its path, its
    /// parameters or its answer. Off the request path: the journal finds it as it reads.
    func payment(provider key: String, route: String, request: HTTPRequest, responseBody: [UInt8]) -> String? {
        guard let known = known[key], known.conduct.payments[route]?.isEmpty == false else { return nil }
        let routeKey = RouteKey(provider: key, method: request.method, mount: request.mountPrefix, path: request.path)
        guard let (matched, parameters) = reading.withLock({ self.route(known, request, routeKey, &$0) }),
              matched == route
        else { return nil }
        var request = request
        request.parameters = parameters
        return known.conduct.payment(route: route, request: request, parameters: parameters) {
            try? JSON.parse(responseBody)
        }
    }

    /// Forgets what reading remembered (a reset or a restore; the lanes forget theirs).
    func forget() { reading.withLock { $0 = Memory() } }

    private func route(_ known: Known, _ request: HTTPRequest, _ key: RouteKey, _ memory: inout Memory)
        -> (route: String, parameters: [String: String])?
    {
        if let remembered = memory.routes[key] { return remembered }
        let match = known.table.match(method: request.method, segments: Faults.relativeSegments(request))
        if memory.routes.count >= Self.memoryLimit { memory.routes = [:] }
        memory.routes[key] = .some(match)
        return match
    }

    private func caller(_ known: Known, _ request: HTTPRequest, _ key: CallerKey?, _ memory: inout Memory) -> Int? {
        guard let key else { return known.provider.caller(of: request, known.scoped) }
        if let remembered = memory.callers[key] { return remembered }
        // An unknown header may name an account made later (a fresh account's login): not remembered.
        guard let account = known.provider.caller(of: request, known.scoped) else { return nil }
        if memory.callers.count >= Self.memoryLimit { memory.callers = [:] }
        memory.callers[key] = account
        return account
    }
}
