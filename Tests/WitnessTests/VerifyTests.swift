import Foundation
import Testing
import HTTPServer
import Paytomat
import SandboxCore
import TestSupport

private struct Fixture {
    let test: TestSandbox
    let client: TestClient

    init() throws {
        test = try TestSandbox(providers: [PaytomatProvider()])
        client = try test.client()
    }

    @discardableResult
    func create(ref: Int, user: String = "sandbox", password: String = "sandbox-secret", amount: JSON = 100)
        throws -> TestResponse
    {
        try client.request("POST", "/paytomat/api/v1/create_transaction?lang=en", headers: [basic(user, password)],
                           json: ["ref": .int(ref), "currency_in": "USD", "currency_out": "BTC", "amount_in": amount])
    }

    func verify(_ body: JSON) throws -> TestResponse { try client.request("POST", "/_sandbox/verify", json: body) }
}

private let create = "POST /api/v1/create_transaction"

@Suite struct VerifyTests {
    @Test func everyRequestMatcher() throws {
        let f = try Fixture()
        try f.create(ref: 125)
        try f.create(ref: 126)
        try f.create(ref: 127, user: "sandbox2", password: "sandbox2-secret")
        try f.create(ref: 128, amount: -1)
        try f.create(ref: 129, password: "wrong")
        func count(_ body: JSON) throws -> Int? { try f.verify(body.merging(["provider": "paytomat", "at_least": 0])).json["count"]?.intValue }
        #expect(try count([:]) == 5)
        #expect(try count(["account": 1]) == 4, "the refused call's login names account 1")
        #expect(try count(["account": 2]) == 1)
        #expect(try count(["route": .string(create)]) == 5)
        #expect(try count(["route": "post /api/v1/create_transaction"]) == 5, "the method in any case")
        #expect(try count(["route": "GET /api/v1/transaction"]) == 0)
        #expect(try count(["route": "POST //api/v1/create_transaction/"]) == 5, "empty segments do not count")
        #expect(try count(["status": 200]) == 3)
        #expect(try count(["status": .number("200.0")]) == 3, "a whole number however written")
        #expect(try count(["status": "4xx"]) == 2)
        #expect(try count(["status": "401"]) == 1)
        #expect(try count(["payment": "2"]) == 1)
        #expect(try count(["payment": 2]) == 1)
        #expect(try count(["where": ["body.ref": 126]]) == 1)
        #expect(try count(["where": ["body.ref": "126"]]) == 1, "a JSON number and its text are one value")
        #expect(try count(["where": ["query.lang": "en"]]) == 5)
        #expect(try count(["where": ["headers.content-type": "application/json"]]) == 5)
        #expect(try count(["where": ["response.id": 1]]) == 1)
        #expect(try count(["where": ["body.ref": 125, "body.currency_in": "USD"]]) == 1)
        #expect(try count(["where": ["body.missing": .null]]) == 5, "a path that is absent is null")
        let ids = try #require(f.verify(["provider": "paytomat", "where": ["body.ref": 127]]).json["ids"]?.arrayValue)
        #expect(ids == [3])
        #expect(try count(["since": 3]) == 2, "after journal id 3")
        let future = Timestamp.iso8601(milliseconds: f.test.sandbox.context.clock.nowMilliseconds() + 60_000)
        #expect(try count(["since": .string(future)]) == 0)
        #expect(try count(["since": "2000-01-01T00:00:00Z"]) == 5)
    }

    @Test func eachExpectation() throws {
        let f = try Fixture()
        try f.create(ref: 1)
        try f.create(ref: 2)
        let base: JSON = ["provider": "paytomat", "route": .string(create)]
        for (expectation, holds) in [
            (["count": 2] as JSON, true), (["count": 1], false), (["at_least": 2], true), (["at_least": 3], false),
            (["at_most": 2], true), (["at_most": 1], false), (["never": true], false), ([:], true),
        ] as [(JSON, Bool)] {
            let answer = try f.verify(base.merging(expectation))
            #expect(answer.status == (holds ? 200 : 422), "\(expectation)")
            #expect(answer.json["matched"] == .bool(holds))
            #expect(answer.json["count"] == 2)
        }
        #expect(try f.verify(["provider": "paytomat", "route": "GET /api/v1/balance", "never": true]).status == 200)
        let miss = try f.verify(base.merging(["count": 1])).json
        #expect(miss["expected"] == ["kind": "requests", "provider": "paytomat", "route": .string(create), "count": 1])
    }

    @Test func nearMissesSayWhatDiffered() throws {
        let f = try Fixture()
        try f.create(ref: 126)
        try f.create(ref: 127, amount: -1)
        let answer = try f.verify(["provider": "paytomat", "route": .string(create), "status": 200,
                                   "where": ["body.ref": 125]])
        #expect(answer.status == 422)
        #expect(answer.json["matched"] == false)
        let misses = try #require(answer.json["near_misses"]?.arrayValue)
        #expect(misses.count == 2)
        #expect(misses[0]["id"] == 2, "newest first")
        #expect(misses[0]["differences"] == [
            "status": ["expected": "200", "actual": 400], "body.ref": ["expected": 125, "actual": 127],
        ])
        #expect(misses[1]["differences"] == ["body.ref": ["expected": 125, "actual": 126]])
        for ref in 200..<210 { try f.create(ref: ref) }
        let many = try f.verify(["provider": "paytomat", "where": ["body.ref": 1]]).json["near_misses"]?.arrayValue
        #expect(many?.count == 5)
    }

    @Test func waitsUntilItHolds() throws {
        let f = try Fixture()
        // The expectation is sent first; the request it waits for comes while it is unanswered.
        let waiting = try TestClient(port: f.test.port)
        let expectation: JSON = ["provider": "paytomat", "where": ["body.ref": 5], "count": 1, "wait_ms": 10_000]
        let body = expectation.serializedBytes()
        try waiting.send("POST /_sandbox/verify HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            + "Content-Length: \(body.count)\r\n\r\n")
        try waiting.send(body)
        #expect(!waiting.hasArrived, "nothing matches yet: no answer")
        try f.create(ref: 5)
        let answer = try waiting.readResponse(method: "POST")
        #expect(answer.status == 200)
        #expect(answer.json["count"] == 1)
        let started = ContinuousClock.now
        let never = try f.verify(["provider": "paytomat", "where": ["body.ref": 6], "wait_ms": 300])
        #expect(never.status == 422)
        #expect(ContinuousClock.now - started >= .milliseconds(300), "it waited the whole time")
    }

    @Test func deliveries() throws {
        let f = try Fixture()
        let ok = try Receiver(), refusing = try Receiver(statuses: [500, 500, 500, 500, 500])
        _ = try f.client.request("PATCH", "/_sandbox/accounts/paytomat/1", json: ["timing": ["confirmation_seconds": 0]])
        for (ref, url) in [(1, ok.url), (2, refusing.url)] {
            _ = try f.client.request(
                "POST", "/paytomat/api/v1/create_transaction",
                headers: [basic("sandbox", "sandbox-secret"), ("X-PaySandbox-Outcome", "success; after=0")],
                json: ["ref": .int(ref), "currency_in": "USD", "currency_out": "BTC", "amount_in": 100,
                       "callback_url": .string(url)])
        }
        let base: JSON = ["kind": "deliveries", "provider": "paytomat", "wait_ms": 5000]
        #expect(try f.verify(base.merging(["answered": "2xx", "count": 1])).json["count"] == 1)
        #expect(try f.verify(base.merging(["answered": 500, "count": 1])).status == 200)
        #expect(try f.verify(base.merging(["payment": "1", "state": "delivered", "count": 1])).status == 200)
        #expect(try f.verify(base.merging(["where": ["payload.tx_id": 2], "count": 1])).status == 200)
        #expect(try f.verify(base.merging(["account": 1, "delivery_kind": "postback", "count": 2])).status == 200)
        let miss = try f.verify(["kind": "deliveries", "provider": "paytomat", "payment": "2", "answered": "2xx"]).json
        #expect(miss["matched"] == false)
        let difference = miss["near_misses"]?[0]?["differences"]?["answered"]
        #expect(difference?["expected"] == "2xx")
        #expect(difference?["actual"]?[0] == 500)
    }

    @Test(arguments: [
        (#"{}"#, "provider is required"),
        (#"{"provider":"nope"}"#, "provider 'nope'"),
        (#"{"provider":"paytomat","account":0}"#, "account must"),
        (#"{"provider":"paytomat","route":"POST /nothing"}"#, "route 'POST /nothing'"),
        (#"{"provider":"paytomat","route":7}"#, "route must"),
        (#"{"provider":"paytomat","status":"6xx"}"#, "status must"),
        (#"{"provider":"paytomat","payment":[1]}"#, "payment must"),
        (#"{"provider":"paytomat","where":[1]}"#, "where must"),
        (#"{"provider":"paytomat","where":{"cookies.x":1}}"#, "where: 'cookies.x'"),
        (#"{"provider":"paytomat","since":"yesterday"}"#, "since must"),
        (#"{"provider":"paytomat","count":1,"at_least":1}"#, "give one expectation"),
        (#"{"provider":"paytomat","count":-1}"#, "count must"),
        (#"{"provider":"paytomat","never":false}"#, "never must"),
        (#"{"provider":"paytomat","wait_ms":30001}"#, "wait_ms must"),
        (#"{"provider":"paytomat","answered":"2xx"}"#, "answered is for deliveries"),
        (#"{"kind":"deliveries","provider":"paytomat","route":"POST /api/v1/create_transaction"}"#, "route is for requests"),
        (#"{"kind":"callbacks","provider":"paytomat"}"#, "kind must"),
        (#"{"provider":"paytomat","counts":1}"#, "unknown field 'counts'"),
        (#"[1]"#, "body must be a JSON object"),
        (#"{"#, "body must be JSON"),
    ])
    func aMalformedExpectationNamesTheField(body: String, says: String) throws {
        let f = try Fixture()
        let answer = try f.client.request("POST", "/_sandbox/verify", headers: [("Content-Type", "application/json")],
                                          body: Array(body.utf8))
        #expect(answer.status == 400)
        #expect(answer.json["error"]?.stringValue?.contains(says) == true, "\(answer.text)")
    }
}
