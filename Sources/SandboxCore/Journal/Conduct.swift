import HTTPServer

/// What a provider's calls mean to someone judging an integration by them: which route
/// creates a payment, reads its status, fetches a token or changes a payment, where each
/// route names its payment, and what names the merchant's order. Each provider writes its
/// own from its document (`Provider.conduct`); the journal and the witness read it.
public struct Conduct: Sendable {
    /// Where a route's call names its payment.
    public enum Place: Sendable, Equatable {
        /// A path parameter (`{paymentId}`).
        case path(String)
        /// A parameter of the query or the body (`id`).
        case parameter(String)
        /// A dotted path into the answer's JSON (`data.id_payment`).
        case response(String)
    }

    /// Routes as the document writes them ("POST /api/v1/create_transaction") → where each
    /// names its payment, tried in order.
    public var payments: [String: [Place]] = [:]
    /// Routes that create a payment.
    public var creates: Set<String> = []
    /// Routes that read one payment's status.
    public var statusReads: Set<String> = []
    /// Routes that fetch a token (login, OAuth2, JWT).
    public var tokenCalls: Set<String> = []
    /// Routes that change a payment after its creation (capture, cancel, chargeback, delete).
    public var changes: Set<String> = []
    /// The parameters of a create that name the merchant's order, the first set whose values
    /// are all there: two creates with the same values are the same order (Paytomat's `ref`,
    /// else its `order_id`; PayXToday's client, price and period). Dotted paths reach into a
    /// JSON body (`transaction.reference`).
    public var order: [[String]] = []
    /// Why it sends no callback, where it sends none: the callback checks are then not applicable.
    public var noCallbacks: String?
    /// Why the provider has no status call, where it has none: `status-rechecked` is then
    /// not applicable, and the report says why the callback cannot be trusted.
    public var noStatusCall: String?
    /// Why it has no tokens, where it has none.
    public var noTokens: String?
    /// Seconds a token of it lives, where it has tokens.
    public var tokenLifetime: Int?

    public init() {}

    /// The payment a call of `route` names, from its request and its answer.
    public func payment(route: String, request: HTTPRequest, parameters: [String: String], response: () -> JSON?)
        -> String?
    {
        for place in payments[route] ?? [] {
            let found: String?
            switch place {
            case .path(let name): found = parameters[name]
            case .parameter(let name):
                found = (try? RequestParams(request))?.string(name)
            case .response(let path): found = response()?.value(at: path)?.scalarText
            }
            if let found, !found.isEmpty, found != "null" { return found }
        }
        return nil
    }

    /// The merchant's order a create names ("ref=125"), nil where it names none.
    public func orderKey(of call: Call) -> String? {
        for names in order {
            let values = names.map { name in
                (call.value(at: "body." + name) ?? call.value(at: "query." + name))?.scalarText.map { "\(name)=\($0)" }
            }
            if values.allSatisfy({ $0 != nil }) { return values.compactMap { $0 }.joined(separator: "&") }
        }
        return nil
    }
}
