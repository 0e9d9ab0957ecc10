import Foundation
import HTTPServer
import Paytomat
import SandboxCore
import Testing
import TestSupport

/// `GET /_sandbox/metrics`, read by the Prometheus project's own text parser (prometheus_client)
/// after known traffic.
@Suite struct MetricsTests {
    /// The samples prometheus_client parses out of `text`: name, labels, value.
    static func parse(_ text: String) throws -> [(name: String, labels: [String: String], value: Double)] {
        let script = """
            import json, sys
            from prometheus_client.parser import text_string_to_metric_families
            out = []
            for family in text_string_to_metric_families(sys.stdin.read()):
                for s in family.samples:
                    out.append({"type": family.type, "name": s.name, "labels": s.labels, "value": s.value})
            print(json.dumps(out))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        let parsed = output.fileHandleForReading.readDataToEndOfFile()
        let failure = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "prometheus_client could not parse it: \(failure)")
        return try #require(try JSON.parse(Array(parsed)).arrayValue).map { sample in
            let labels = try #require(sample["labels"]?.objectValue).map { ($0.0, $0.1.stringValue ?? "") }
            return (try #require(sample["name"]?.stringValue), Dictionary(labels) { a, _ in a },
                    try #require(sample["value"].flatMap { Double($0.serialized()) }))
        }
    }

    static func value(_ samples: [(name: String, labels: [String: String], value: Double)], _ name: String,
                      _ labels: [String: String] = [:]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }

    @Test func knownTrafficIsCountedAsPrometheusReadsIt() throws {
        let test = try TestSandbox(providers: [PaytomatProvider()])
        let client = try test.client()
        let receiver = try Receiver()
        let basic = InboxTests.basic
        for _ in 1 ... 3 { #expect(try client.request("GET", "/paytomat/api/v1/currencies", headers: [basic]).status == 200) }
        #expect(try client.request("POST", "/paytomat/api/v1/create_transaction", headers: [basic], json: [:]).status == 400)
        #expect(try client.request("GET", "/paytomat/no-such-path", headers: [basic]).status == 404)
        #expect(try client.request("POST", "/_sandbox/faults", json: [
            "provider": "paytomat", "route": "GET /api/v1/currencies", "fault": "error", "status": 503, "count": 1,
        ]).status == 201)
        #expect(try client.request("GET", "/paytomat/api/v1/currencies", headers: [basic]).status == 503)
        _ = try InboxTests.paidTransaction(client, callback: receiver.url)
        #expect(waitUntil(seconds: 10) { receiver.received.count == 1 })
        #expect(try waitUntil(seconds: 10) {
            try client.request("GET", "/_sandbox/deliveries").json["deliveries"]?[0]?["state"] == "delivered"
        })

        let response = try client.request("GET", "/_sandbox/metrics")
        #expect(response.status == 200)
        #expect(response.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8")
        let samples = try Self.parse(response.text)
        func requests(_ route: String, _ status: String) -> Double? {
            Self.value(samples, "paysandbox_requests_total", ["provider": "paytomat", "route": route, "status": status])
        }
        #expect(requests("GET /api/v1/currencies", "200") == 3)
        #expect(requests("GET /api/v1/currencies", "503") == 1)
        #expect(requests("POST /api/v1/create_transaction", "400") == 1)
        #expect(requests("POST /api/v1/create_transaction", "200") == 1)
        #expect(requests("other", "404") == 1)
        let count = Self.value(samples, "paysandbox_request_duration_seconds_count", ["provider": "paytomat"])
        #expect(count == 7)
        #expect(Self.value(samples, "paysandbox_request_duration_seconds_bucket", ["provider": "paytomat", "le": "+Inf"])
            == 7)
        let buckets = samples.filter { $0.name == "paysandbox_request_duration_seconds_bucket" }.map(\.value)
        #expect(buckets.count == 15 && buckets == buckets.sorted())
        #expect(try #require(Self.value(samples, "paysandbox_request_duration_seconds_sum", ["provider": "paytomat"])) > 0)
        #expect(Self.value(samples, "paysandbox_deliveries", ["provider": "paytomat", "state": "delivered"]) == 1)
        #expect(Self.value(samples, "paysandbox_delivery_attempts_total", ["provider": "paytomat", "result": "2xx"]) == 1)
        #expect(Self.value(samples, "paysandbox_faults_fired_total", ["provider": "paytomat", "kind": "error"]) == 1)
        #expect(Self.value(samples, "paysandbox_payments", ["provider": "paytomat", "status": "success"]) == 1)
        #expect(Self.value(samples, "paysandbox_open_connections") == 1)
        #expect(Self.value(samples, "paysandbox_journal_dropped_total") == 0)
        #expect(try #require(Self.value(samples, "paysandbox_uptime_seconds")) > 0)
        #expect(Self.value(samples, "paysandbox_build_info", ["version": Sandbox.version]) == 1)
        // A removed rule's firings still count.
        #expect(try client.request("DELETE", "/_sandbox/faults").status == 200)
        let again = try Self.parse(try client.request("GET", "/_sandbox/metrics").text)
        #expect(Self.value(again, "paysandbox_faults_fired_total", ["provider": "paytomat", "kind": "error"]) == 1)
    }

    @Test func behindTheAdminToken() throws {
        let test = try TestSandbox(providers: [PaytomatProvider()]) { $0.admin = AdminAccess(token: "tok") }
        let client = try test.client()
        #expect(try client.request("GET", "/_sandbox/metrics").status == 401)
        let allowed = try client.request("GET", "/_sandbox/metrics", headers: [("Authorization", "Bearer tok")])
        #expect(allowed.status == 200)
        #expect(try Self.value(Self.parse(allowed.text), "paysandbox_build_info", ["version": Sandbox.version]) == 1)
    }
}
