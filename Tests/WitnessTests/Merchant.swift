import Foundation
import HTTPServer
import Synchronization
import TestSupport

/// One HTTP call a merchant makes.
struct Call {
    var method: String
    var path: String
    var headers: [(String, String)] = []
    var body: [UInt8]? = nil
}

/// What a provider's client does, for the test merchant: how it fetches a token, creates a
/// payment for an order, finds one after a lost answer, reads one back, and what its callbacks say.
protocol Shop: Sendable {
    var key: String { get }
    var usesToken: Bool { get }
    var hasCallbacks: Bool { get }
    func setUp(_ merchant: Merchant) throws
    func tokenCall() -> Call
    func token(_ answer: TestResponse) -> String?
    func create(order: Int, attempt: Int, token: String?, valid: Bool, callbackURL: String) -> Call
    func payment(_ answer: TestResponse) -> String?
    func lookup(order: Int, token: String?) -> Call
    func found(order: Int, _ answer: TestResponse) -> String?
    func status(_ payment: String, token: String?) -> Call
    func payment(ofCallback body: JSON) -> String?
    /// What follows a create where no callback comes (Alphacomm: approval, then capture).
    func settle(_ payment: String, _ merchant: Merchant) throws
}

/// A merchant integration as a test drives it: it takes payments, receives callbacks on a real
/// listener, and behaves well unless told which manners to drop.
final class Merchant: @unchecked Sendable {
    struct Manners {
        var acknowledges = true
        var acknowledgesRepeats = true
        var readsBack = true
        var reusesToken = true
        var renewsToken = true
        var honoursRetryAfter = true
        var backsOff = true
        var looksUp = true
        var validInput = true
    }

    let port: Int
    let shop: any Shop
    let manners: Manners
    let receiver: CallbackEndpoint
    /// Only the test's thread touches it.
    private var token: String?

    init(port: Int, shop: any Shop, manners: Manners = Manners()) throws {
        self.port = port
        self.shop = shop
        self.manners = manners
        receiver = try CallbackEndpoint(manners: manners)
        try shop.setUp(self)
    }

    /// One exchange on a connection of its own; nil when no answer came (reset, timeout, lost).
    func send(_ call: Call) -> TestResponse? {
        guard let client = try? TestClient(port: port, timeoutSeconds: 1) else { return nil }
        return try? client.request(call.method, call.path, headers: call.headers, body: call.body)
    }

    /// The control plane, answered or the test fails.
    @discardableResult
    func control(_ method: String, _ path: String, _ json: JSON? = nil) throws -> TestResponse {
        try TestClient(port: port).request(method, path, json: json)
    }

    private func freshToken() -> String? {
        guard shop.usesToken, let answer = send(shop.tokenCall()) else { return nil }
        return shop.token(answer)
    }

    /// A call that needs the token: fetched when there is none (or for every call, if it does not
    /// reuse it), renewed after a 401 (at once, or after one more refusal if it does not renew).
    func authorized(_ make: (String?) -> Call) -> TestResponse? {
        if shop.usesToken && (token == nil || !manners.reusesToken) { token = freshToken() }
        var answer = send(make(token))
        if answer?.status == 401 && shop.usesToken {
            if !manners.renewsToken { answer = send(make(token)) }
            token = freshToken()
            answer = send(make(token))
        }
        return answer
    }

    /// Takes a payment for `order`: a create with retries (backing off, waiting for Retry-After,
    /// looking the order up after a lost answer, as its manners say), then the callback and a read-back.
    @discardableResult
    func pay(order: Int) throws -> String? {
        var wait = 0.15
        var payment: String?
        for attempt in 0..<6 {
            let answer = authorized { shop.create(order: order, attempt: attempt, token: $0, valid: manners.validInput,
                                                  callbackURL: receiver.url) }
            if let answer, (200..<300).contains(answer.status) {
                payment = shop.payment(answer)
                break
            }
            if let answer, answer.status < 500 { return nil }
            if answer == nil && manners.looksUp,
               let found = authorized({ shop.lookup(order: order, token: $0) }).flatMap({ shop.found(order: order, $0) })
            {
                payment = found
                break
            }
            var pause = manners.backsOff ? wait : 0
            if manners.honoursRetryAfter, let text = answer?["Retry-After"], let seconds = Double(text) {
                pause = max(pause, seconds)
            }
            Thread.sleep(forTimeInterval: pause)
            wait *= 2
        }
        guard let payment else { return nil }
        if shop.hasCallbacks {
            _ = receiver.waitForCallback(payment: payment, shop: shop)
            readBackCallbacks()
        } else {
            try shop.settle(payment, self)
            if manners.readsBack { _ = authorized { shop.status(payment, token: $0) } }
        }
        return payment
    }

    /// Payments whose callback was read back already.
    private var readBack: Set<String> = []

    /// Reads back the payment of each callback that came (once each), as a merchant that does
    /// not trust an unsigned callback does.
    func readBackCallbacks() {
        guard manners.readsBack else { return }
        for payment in receiver.received.compactMap(shop.payment(ofCallback:)) where readBack.insert(payment).inserted {
            _ = authorized { shop.status(payment, token: $0) }
        }
    }
}

/// The merchant's callback endpoint: a real listener that answers 2xx (or not, as told) and
/// keeps what arrived.
final class CallbackEndpoint: Sendable {
    private let server: HTTPServer
    let port: Int
    private final class Log: Sendable {
        let received = Mutex<[JSON]>([])
    }

    private let log = Log()

    init(manners: Merchant.Manners) throws {
        var configuration = ServerConfiguration()
        configuration.logger = Logger(level: .error)
        server = HTTPServer(configuration: configuration)
        var router = Router()
        let log = self.log
        router.post("/cb") { request in
            let json = (try? JSON.parse(request.body))
                ?? .object(FormFields(urlEncoded: request.bodyString).map { ($0.name, .string($0.value)) })
            let seen = log.received.withLock { log in
                defer { log.append(json) }
                return log.contains(json)
            }
            let ok = manners.acknowledges && (!seen || manners.acknowledgesRepeats)
            return .text(ok ? "ok" : "not now", status: ok ? 200 : (seen ? 409 : 500))
        }
        port = try server.listen(host: "127.0.0.1", port: 0, router: router)
    }

    var url: String { "http://127.0.0.1:\(port)/cb" }

    var received: [JSON] { log.received.withLock { $0 } }

    func waitForCallback(payment: String, shop: any Shop, seconds: Double = 10) -> Bool {
        waitUntil(seconds: seconds) { received.contains { shop.payment(ofCallback: $0) == payment } }
    }

    deinit { server.stop(timeout: 1) }
}
