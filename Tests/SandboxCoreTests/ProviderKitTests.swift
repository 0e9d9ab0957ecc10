import Foundation
import Testing
import HTTPServer
import SQLiteStore
import TestSupport
@testable import SandboxCore

/// The provider kit: the input readers, the format checks, the complete template, the
/// kept values.
@Suite struct ProviderKitTests {
    /// An error type that says which rule broke, for the readers' tests.
    enum Broken: ProviderError, Equatable {
        case invalid(String), notFound(String), methodNotAllowed(String), status(Int, String)
        case rule(String, InputRule)

        static func invalid(_ field: String, _ rule: InputRule) -> Broken { .rule(field, rule) }
        var response: HTTPResponse { .text("\(self)", status: 400) }
    }

    private func input(json body: String? = nil, query: String = "", typed: Bool = false) throws(Broken)
        -> Input<Broken>
    {
        var request = HTTPRequest(method: "POST", target: "/x" + (query.isEmpty ? "" : "?" + query),
                                  body: Array((body ?? "").utf8))
        if body != nil { request.headers.set("Content-Type", "application/json") }
        return try Input(request, typed: typed)
    }

    /// The rule `body` broke, nil when it broke none.
    private func broken(_ body: () throws -> Any?) -> Broken? {
        do {
            _ = try body()
            return nil
        } catch {
            return error as? Broken
        }
    }

    @Test func textReadersTakeStringsAndNumbersAndRefuseTheRest() throws {
        let i = try input(json: #"{"a":"hi","n":12,"arr":[1],"blank":"  ","long":"abcdef"}"#)
        #expect(try i.text("a", max: 10) == "hi")
        #expect(try i.text("n", max: 10) == "12")
        #expect(try i.text("missing", max: 10) == nil)
        #expect(try i.text("blank", max: 10) == nil)
        #expect(broken { try i.text("arr", max: 10) } == .rule("arr", .text(got: "array")))
        #expect(broken { try i.text("long", max: 5) } == .rule("long", .maxLength(5)))
        #expect(broken { try i.requiredText("missing", max: 5) } == .rule("missing", .required))
        #expect(broken { try i.requiredText("blank", max: 5) } == .rule("blank", .required))
    }

    /// Typed (Project CX's JSON): a number is not text, a string is not an integer.
    @Test func typedReadersWantTheJSONType() throws {
        let i = try input(json: #"{"n":12,"s":"12","f":1.5}"#, typed: true)
        #expect(broken { try i.text("n", max: 10) } == .rule("n", .text(got: "number")))
        #expect(broken { try i.requiredInteger("s") } == .rule("s", .integer(got: "string")))
        #expect(broken { try i.requiredInteger("f") } == .rule("f", .integer(got: "number")))
        #expect(try i.requiredInteger("n") == 12)
        #expect(try i.text("s", max: 10) == "12")
    }

    @Test func integersFromTheQueryOrTheBody() throws {
        let i = try input(json: #"{"n":"7"}"#, query: "q=3&empty=&x=a")
        #expect(try i.integer("q") == 3)
        #expect(try i.requiredInteger("n") == 7)
        #expect(try i.integer("missing") == nil)
        #expect(broken { try i.integer("empty") } == .rule("empty", .integer(got: nil)))
        #expect(broken { try i.integer("x") } == .rule("x", .integer(got: nil)))
        #expect(broken { try i.requiredInteger("missing") } == .rule("missing", .required))
    }

    @Test func decimalsWithTheirScale() throws {
        let i = try input(json: #"{"a":"1.50","b":1.005,"c":0,"d":"12abc","e":true,"f":"5e13","g":"1e2"}"#)
        #expect(try i.decimal("a", places: 2) == Decimal(string: "1.5"))
        #expect(try i.decimal("g", places: 2) == 100)
        #expect(broken { try i.decimal("b", places: 2) } == .rule("b", .places(2)))
        #expect(broken { try i.decimal("c", places: 2) } == .rule("c", .positive))
        #expect(broken { try i.decimal("d", places: 2, kind: "float") } == .rule("d", .number(kind: "float")))
        #expect(broken { try i.decimal("e", places: 2) } == .rule("e", .number(kind: "decimal")))
        #expect(broken { try i.decimal("f", places: 2) } == .rule("f", .atMost(1_000_000_000_000)))
        #expect(broken { try i.decimal("missing", places: 2) } == .rule("missing", .required))
    }

    @Test func urlsEmailsAndChoices() throws {
        let i = try input(json: #"{"u":"https://a.example/cb","bad":"javascript:x","e":"a@b.co","f":"a@b","s":"new"}"#)
        #expect(try i.url("u", max: 100) == "https://a.example/cb")
        #expect(broken { try i.url("bad", max: 100) } == .rule("bad", .url))
        #expect(try i.email("e") == "a@b.co")
        #expect(broken { try i.email("f") } == .rule("f", .email))
        #expect(try i.oneOf("s", ["new", "old"]) == "new")
        #expect(broken { try i.oneOf("s", ["old"]) } == .rule("s", .oneOf(["old"])))
        #expect(try i.oneOf("missing", ["old"]) == nil)
    }

    @Test func aBodyThatIsNotAnObjectIsTheBodyRule() {
        #expect(broken { try input(json: "[1]") } == .rule("body", .body))
        #expect(broken { try input(json: "{") } == .rule("body", .body))
    }

    /// The default words, as most providers say them.
    @Test func theDefaultMessagesNameTheField() {
        #expect(InputRule.required.message(for: "amount") == "amount is required")
        #expect(InputRule.maxLength(5).message(for: "ref") == "ref must be at most 5 characters")
        #expect(InputRule.places(8).message(for: "amount_in") == "amount_in must have at most 8 decimal places")
        #expect(InputRule.oneOf(["a", "b"]).message(for: "s") == "s must be one of a, b")
    }

    @Test func formats() {
        #expect(Formats.isUUID("3f2504e0-4f89-41d3-9a0c-0305e82c3301", versions: "45"))
        #expect(!Formats.isUUID("3f2504e0-4f89-11d3-9a0c-0305e82c3301", versions: "45"))
        #expect(!Formats.isUUID("3f2504e0-4f89-41d3-7a0c-0305e82c3301", versions: "45"))
        #expect(!Formats.isUUID("3f2504e04f8941d39a0c0305e82c3301", versions: "45"))
        #expect(Formats.isIPAddress("10.0.0.1") && Formats.isIPAddress("::1") && !Formats.isIPAddress("10.0.0"))
        #expect(Formats.isDateTime("2016-11-22T11:39:21+0100") && Formats.isDateTime("2016-01-01 13:56:48"))
        #expect(!Formats.isDateTime("2016-01-01"))
        #expect(Formats.isDecimal("-12.50") && Formats.isDecimal("7") && !Formats.isDecimal("1e5"))
        #expect(Formats.isDecimal(".5") && Formats.isDecimal("5.") && Formats.isDecimal("-0.5"))
        #expect(!Formats.isDecimal("") && !Formats.isDecimal("1.2.3") && !Formats.isDecimal("x") && !Formats.isDecimal("1-2"))
        #expect(!Formats.isDecimal(".") && !Formats.isDecimal("-.")) // Decimal reads "." as 0
        #expect(!Formats.isDateTime("2016-12-31T23:59:60Z") && !Formats.isDateTime("2023-02-29T00:00"))
        #expect(isEmailAddress("a@b.co") && !isEmailAddress("a@.co") && !isEmailAddress("a b@c.co"))
    }

    struct Record { let status: String }

    /// Unknown → notFound, not open → alreadyFinal (nothing written); otherwise the update, the
    /// uniform status noted, the payment's jobs cancelled and its callback queued, together.
    @Test func theCompleteTemplate() throws {
        let test = try TestSandbox(providers: [DemoProvider()])
        let context = test.sandbox.context.scoped(to: DemoProvider())
        let now = context.clock.nowMilliseconds()
        try context.store.write { db in
            try context.record(db, id: "p1", account: 1, status: "pending", amount: "1.00", currency: "EUR", at: now,
                               plan: SettlePlan(outcome: .success, at: now + 3_600_000))
        }
        func complete(_ record: Record?) throws {
            try context.store.write { db in
                try context.complete(db, payment: "p1", record, status: \.status) { _ in
                    Completion(status: "paid", note: "by the test",
                               callback: Callback(account: 1, kind: "callback", url: "http://127.0.0.1:9/cb",
                                                  json: ["paid": true]))
                }
            }
        }
        #expect(throws: CompletionError.notFound) { try complete(nil) }
        #expect(throws: CompletionError.alreadyFinal(status: "paid")) { try complete(Record(status: "paid")) }
        func count(_ table: String) throws -> Int? {
            try context.store.read { db in try db.queryOne("SELECT COUNT(*) FROM \(table)")?[0].int }
        }
        #expect(try count("jobs") == 1)
        #expect(try count("deliveries") == 0)
        try complete(Record(status: "pending"))
        let payment = try #require(try test.sandbox.payment(provider: "demo", id: "p1"))
        #expect(payment["status"] == "paid")
        #expect(try count("jobs") == 0)
        #expect(try count("deliveries") == 1)
        let story = try #require(try test.sandbox.story(provider: "demo", payment: "p1", deliveries: 10))
        #expect(story.timeline.last?["note"] == "by the test")
        #expect(story.deliveries.first?["url"] == "http://127.0.0.1:9/cb")
    }

    @Test func keptValuesOutliveTheirTransaction() throws {
        let test = try TestSandbox(providers: [DemoProvider()])
        let context = test.sandbox.context
        #expect(try context.kept("kit-test") == nil)
        try context.store.write { db in try SandboxContext.keep(db, "kit-test", "one") }
        try context.store.write { db in try SandboxContext.keep(db, "kit-test", "two") }
        #expect(try context.kept("kit-test") == "two")
    }
}
