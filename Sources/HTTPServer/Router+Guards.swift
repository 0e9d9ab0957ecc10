extension Router {
    /// The admit hooks and CORS rule met on the way down to the router that serves a request
    /// (nil when there are none: the common case costs nothing).
    struct Guards {
        var admits: [@Sendable (HTTPRequest) -> HTTPResponse?] = []
        var cors = true

        mutating func add(_ router: Router) {
            if let admit = router.admit { admits.append(admit) }
            if !router.allowsCORS { cors = false }
        }

        /// The first refusal, if any (CORS headers withheld where the router says so).
        func refusal(_ request: HTTPRequest) -> HTTPResponse? {
            for admit in admits {
                if var refusal = admit(request) {
                    refusal.allowsCORS = cors
                    return refusal
                }
            }
            return nil
        }
    }
}

/// A fault a request meets (`Router.faults`): an answer instead of the route's (nothing is
/// carried out), or a change to the route's answer once it has been carried out.
public enum FaultPlan: Sendable {
    case instead(HTTPResponse)
    case amend(@Sendable (inout HTTPResponse) -> Void)
}
