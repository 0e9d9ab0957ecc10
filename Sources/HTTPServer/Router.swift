public typealias Handler = @Sendable (HTTPRequest) throws -> HTTPResponse
/// A handler that awaits (a write's commit, say) without holding its thread: it runs on the
/// connection's event loop, which serves other connections while it is suspended.
public typealias AsyncHandler = @Sendable (HTTPRequest) async throws -> HTTPResponse

/// Method + path-pattern routes (`/api/v1/:reseller/:key/options`) and mounts of other
/// routers under a prefix. A router is a value: build it, then hand it to a server.
///
/// How a route runs is declared with it, by what it does, whatever its method: a synchronous
/// handler only reads and is answered on the event loop at once; a handler that writes is
/// `async` and awaits its commit as a task on the event loop (what would block its thread,
/// it awaits through `onWorker`).
public struct Router: Sendable {
    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
    }

    enum Action: Sendable {
        /// Only reads: answered where it arrives.
        case read(Handler)
        /// Writes: a task on the connection's event loop that awaits its commit.
        case write(AsyncHandler)
    }

    /// How the server is to answer a request (`dispatch(_:)`).
    public enum Dispatch: Sendable {
        /// The answer, made already.
        case answer(HTTPResponse)
        /// Its handler writes: run this in a task.
        case awaiting(@Sendable () async -> HTTPResponse)
    }

    struct Route: Sendable {
        let method: String
        let segments: [Segment]
        let action: Action
    }

    struct Mount: Sendable {
        let prefix: [String]
        let router: Router
    }

    private var routes: [Route] = []
    private var mounts: [Mount] = []

    /// Answers a path no route matches (each provider sets its own error shape).
    public var notFound: @Sendable (HTTPRequest) -> HTTPResponse = { request in
        .json(["error": .string("Not found: \(request.method) \(request.path)")], status: 404)
    }
    /// Answers a known path with a method it does not serve (405 by default; a provider
    /// whose real server says 404 answers that); `Allow` is added.
    public var methodNotAllowed: @Sendable (HTTPRequest, [String]) -> HTTPResponse = { request, allowed in
        .json(
            ["error": .string("Method \(request.method) not allowed; allowed: \(allowed.joined(separator: ", "))")],
            status: 405)
    }
    /// Told of every request this router answers itself (not its mounts'), with the
    /// response and how long the handler took: the request journal hooks in here.
    public var observer: (@Sendable (HTTPRequest, HTTPResponse, Duration) -> Void)?
    /// Asked before any route of this router or of its mounts (unknown paths included): an
    /// answer refuses the request (a missing token, a foreign `Host`), nil lets it through.
    public var admit: (@Sendable (HTTPRequest) -> HTTPResponse?)?
    /// False: answers of this router and its mounts never carry CORS headers, and CORS
    /// preflights to them are refused (`allowsCORS(for:)`).
    public var allowsCORS = true
    /// Asked (after `admit`) whether a request of this router's own routes (not its mounts')
    /// meets a fault: an answer instead of the route's, or a change to the route's answer.
    public var faults: (@Sendable (HTTPRequest) -> FaultPlan?)?
    /// Turns an error a handler threw into a response. `HTTPResponseConvertible` errors
    /// answer for themselves before this is asked. What the error says (SQL, codes) stays out
    /// of the answer: the sandbox sets this to log it and answer in the provider's shape.
    public var errorResponse: @Sendable (Error, HTTPRequest) -> HTTPResponse = { _, _ in
        .json(["error": "Internal error"], status: 500)
    }

    public init() {}

    /// A route that only reads, of any method: answered on the event loop.
    public mutating func add(_ method: String, _ pattern: String, _ handler: @escaping Handler) {
        routes.append(Route(method: method.uppercased(), segments: Router.compile(pattern), action: .read(handler)))
    }

    /// A route that writes, of any method: its handler awaits its commit.
    public mutating func add(_ method: String, _ pattern: String, _ handler: @escaping AsyncHandler) {
        routes.append(Route(method: method.uppercased(), segments: Router.compile(pattern), action: .write(handler)))
    }

    public mutating func get(_ pattern: String, _ handler: @escaping Handler) { add("GET", pattern, handler) }
    public mutating func get(_ pattern: String, _ handler: @escaping AsyncHandler) { add("GET", pattern, handler) }
    public mutating func post(_ pattern: String, _ handler: @escaping Handler) { add("POST", pattern, handler) }
    public mutating func post(_ pattern: String, _ handler: @escaping AsyncHandler) { add("POST", pattern, handler) }
    public mutating func put(_ pattern: String, _ handler: @escaping AsyncHandler) { add("PUT", pattern, handler) }
    public mutating func patch(_ pattern: String, _ handler: @escaping AsyncHandler) { add("PATCH", pattern, handler) }
    public mutating func delete(_ pattern: String, _ handler: @escaping AsyncHandler) {
        add("DELETE", pattern, handler)
    }

    /// Serves `router` under `prefix` ("/paytomat"): its routes see the rest of the path
    /// and `request.mountPrefix` tells them where they are mounted.
    public mutating func mount(_ prefix: String, _ router: Router) {
        mounts.append(Mount(prefix: Router.split(prefix), router: router))
        mounts.sort { $0.prefix.count > $1.prefix.count }
    }

    /// Every method + pattern this router serves, mounts included (for docs and tests).
    public var table: [String] {
        routes.map { route in
            "\(route.method) /" + route.segments.map {
                switch $0 { case .literal(let s): return s; case .parameter(let p): return ":" + p }
            }.joined(separator: "/")
        }
            + mounts.flatMap { mount in
                mount.router.table.map { $0.replacingFirstSpace(with: " /" + mount.prefix.joined(separator: "/")) }
            }
    }

    /// Answers a request now, whatever its route does (awaiting a writing one).
    public func respond(to request: HTTPRequest) async -> HTTPResponse {
        switch dispatch(request) {
        case .answer(let response): return response
        case .awaiting(let responder): return await responder()
        }
    }

    /// Finds the request's route and answers it now if its handler only reads; otherwise
    /// gives what to run in a task.
    public func dispatch(_ request: HTTPRequest) -> Dispatch {
        let (router, request, segments, guards) = locate(request)
        if let refusal = guards?.refusal(request) { return .answer(refusal) }
        let plan = router.faults.flatMap { faults in faults(request) }
        if guards == nil && plan == nil { return router.observed(request, segments) }
        var dispatch: Dispatch
        switch plan {
        case .instead(let response)?:
            dispatch = router.observer.map { observer in
                observer(request, response, .zero)
                return .answer(response)
            } ?? .answer(response)
        case .amend(let change)?:
            dispatch = router.observed(request, segments, change: change)
        case nil:
            dispatch = router.observed(request, segments)
        }
        return guards?.cors ?? true ? dispatch : Router.withoutCORS(dispatch)
    }


    /// The methods a 405's message names: those the routes declare, without the OPTIONS and
    /// HEAD the router answers itself ("GET, POST").
    public static func declared(_ allowed: [String]) -> String {
        allowed.filter { $0 != "OPTIONS" && $0 != "HEAD" }.joined(separator: ", ")
    }

    /// Whether a CORS preflight for `request` may be answered (see `allowsCORS`).
    public func allowsCORS(for request: HTTPRequest) -> Bool { locate(request).3?.cors ?? true }

    private static func withoutCORS(_ dispatch: Dispatch) -> Dispatch {
        switch dispatch {
        case .answer(var response):
            response.allowsCORS = false
            return .answer(response)
        case .awaiting(let responder):
            return .awaiting {
                var response = await responder()
                response.allowsCORS = false
                return response
            }
        }
    }

    /// This router's answer, told to its observer (the request journal).
    /// `change` (a fault's) is made to the answer before the observer sees it.
    private func observed(_ request: HTTPRequest, _ segments: ArraySlice<String>,
                          change: (@Sendable (inout HTTPResponse) -> Void)? = nil) -> Dispatch {
        guard observer != nil || change != nil else { return dispatchLocally(request, segments) }
        let observer = observer
        let started = ContinuousClock.now
        switch dispatchLocally(request, segments) {
        case .answer(var response):
            change?(&response)
            observer?(request, response, started.duration(to: .now))
            return .answer(response)
        case .awaiting(let responder):
            return .awaiting {
                let started = ContinuousClock.now
                var response = await responder()
                change?(&response)
                observer?(request, response, started.duration(to: .now))
                return response
            }
        }
    }

    /// The (mounted) router that serves `request`, with the request as that router sees it,
    /// the path segments left for its routes and the guards met on the way.
    private func locate(_ request: HTTPRequest) -> (Router, HTTPRequest, ArraySlice<String>, Guards?) {
        var router = self
        var request = request
        var guards: Guards?
        if admit != nil || !allowsCORS { guards = Guards(); guards?.add(self) }
        var segments = Router.split(request.path).map { PercentDecoding.decode($0, plusAsSpace: false) }[...]
        descending: while true {
            for mount in router.mounts where segments.starts(with: mount.prefix) {
                request.mountPrefix += "/" + mount.prefix.joined(separator: "/")
                segments = segments.dropFirst(mount.prefix.count)
                router = mount.router
                if router.admit != nil || !router.allowsCORS {
                    if guards == nil { guards = Guards() }
                    guards?.add(router)
                }
                continue descending
            }
            return (router, request, segments, guards)
        }
    }

    private func dispatchLocally(_ request: HTTPRequest, _ segments: ArraySlice<String>) -> Dispatch {
        var allowed: [String] = []
        var fallback: (Route, [String: String])?
        for route in routes {
            guard let parameters = Router.match(route.segments, segments) else { continue }
            if route.method == request.method {
                return run(route.action, request, parameters)
            }
            if request.method == "HEAD" && route.method == "GET" { fallback = (route, parameters) }
            if !allowed.contains(route.method) { allowed.append(route.method) }
        }
        if let (route, parameters) = fallback { return run(route.action, request, parameters) }
        if allowed.isEmpty { return .answer(notFound(request)) }
        if allowed.contains("GET") { allowed.append("HEAD") }
        allowed.append("OPTIONS")
        if request.method == "OPTIONS" {
            var response = HTTPResponse(status: 204)
            response.headers.add("Allow", allowed.joined(separator: ", "))
            return .answer(response)
        }
        var response = methodNotAllowed(request, allowed)
        response.headers.set("Allow", allowed.joined(separator: ", "))
        return .answer(response)
    }

    private func run(_ action: Action, _ request: HTTPRequest, _ parameters: [String: String]) -> Dispatch {
        var request = request
        request.parameters = parameters
        let handler: Handler
        switch action {
        case .read(let h): handler = h
        case .write(let h):
            let errorResponse = errorResponse
            return .awaiting { [request] in
                do {
                    return try await h(request)
                } catch let error as HTTPResponseConvertible {
                    return error.response
                } catch {
                    return errorResponse(error, request)
                }
            }
        }
        do {
            return .answer(try handler(request))
        } catch let error as HTTPResponseConvertible {
            return .answer(error.response)
        } catch {
            return .answer(errorResponse(error, request))
        }
    }

    static func split(_ path: String) -> [String] {
        path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true).map { String(Substring($0)) }
    }

    static func compile(_ pattern: String) -> [Segment] {
        split(pattern).map { $0.hasPrefix(":") ? .parameter(String($0.dropFirst())) : .literal($0) }
    }

    static func match(_ pattern: [Segment], _ segments: ArraySlice<String>) -> [String: String]? {
        guard pattern.count == segments.count else { return nil }
        var parameters: [String: String] = [:]
        for (expected, actual) in zip(pattern, segments) {
            switch expected {
            case .literal(let text): if text != actual { return nil }
            case .parameter(let name): parameters[name] = actual
            }
        }
        return parameters
    }
}

extension String {
    fileprivate func replacingFirstSpace(with text: String) -> String {
        guard let space = firstIndex(of: " ") else { return self }
        return String(self[..<space]) + text + String(self[index(after: space)...])
    }
}
