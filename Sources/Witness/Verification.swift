import HTTPServer
import SandboxCore

/// `POST /_sandbox/verify`: counts the requests (or deliveries) an expectation matches, waits
/// for it to hold when asked, and explains a miss with the nearest requests that almost matched.
struct Verification: Sendable {
    let sandbox: Sandbox

    /// What one look finds.
    struct Finding: Sendable {
        var ids: [Int64] = []
        /// Newest first, at most `nearMissLimit`: each with what differed.
        var nearMisses: [JSON] = []
    }

    static let nearMissLimit = 5
    static let scanLimit = 10_000

    func answer(_ expectation: Expectation) async throws -> HTTPResponse {
        let deadline = ContinuousClock.now + .milliseconds(expectation.waitMilliseconds)
        while true {
            let finding = try await onWorker { try look(expectation) }
            let holds = expectation.quantity.holds(finding.ids.count)
            if holds || ContinuousClock.now >= deadline {
                return respond(expectation, finding, holds: holds)
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    private func respond(_ expectation: Expectation, _ finding: Finding, holds: Bool) -> HTTPResponse {
        if holds {
            return .json(["matched": true, "count": .int(finding.ids.count), "ids": .array(finding.ids.map(JSON.int))])
        }
        return .json([
            "matched": false, "count": .int(finding.ids.count), "ids": .array(finding.ids.map(JSON.int)),
            "expected": expectation.json, "near_misses": .array(finding.nearMisses),
        ], status: 422)
    }

    func look(_ e: Expectation) throws -> Finding {
        e.kind == .requests ? try requests(e) : try deliveries(e)
    }

    private func requests(_ e: Expectation) throws -> Finding {
        var filter = RequestJournal.Filter()
        filter.provider = e.provider
        filter.account = e.account
        filter.route = e.route
        filter.afterID = e.sinceID
        filter.since = e.sinceTime
        filter.limit = Self.scanLimit
        filter.ascending = true
        var finding = Finding()
        var misses: [(Call, [(String, JSON)])] = []
        for call in try sandbox.journal.calls(filter) {
            var differences: [(String, JSON)] = []
            if let status = e.status, !status.contains(call.status) {
                differences.append(("status", difference(.string(status.text), .int(call.status))))
            }
            if let payment = e.payment, call.payment != payment {
                differences.append(("payment", difference(.string(payment), .optional(call.payment))))
            }
            for (path, expected) in e.conditions {
                let actual = call.value(at: path)
                if !matches(expected, actual) { differences.append((path, difference(expected, actual ?? .null))) }
            }
            if differences.isEmpty { finding.ids.append(call.id) } else { misses.append((call, differences)) }
        }
        finding.nearMisses = misses.suffix(Self.nearMissLimit).reversed().map { call, differences in
            [
                "id": .int(call.id), "at": .string(Timestamp.iso8601(milliseconds: call.at)),
                "route": .optional(call.route), "status": .int(call.status), "payment": .optional(call.payment),
                "differences": .object(differences),
            ]
        }
        return finding
    }

    private func deliveries(_ e: Expectation) throws -> Finding {
        var finding = Finding()
        var misses: [(DeliveryRecord, [(String, JSON)])] = []
        let records = try sandbox.deliveryRecords(
            provider: e.provider, account: e.account, payment: e.payment, after: e.sinceID ?? 0, limit: Self.scanLimit)
        for record in records {
            if let since = e.sinceTime, (record.attempts.first?.at ?? Int64.max) < since { continue }
            var differences: [(String, JSON)] = []
            if let state = e.state, record.state != state {
                differences.append(("state", difference(.string(state), .string(record.state))))
            }
            if let kind = e.deliveryKind, record.kind != kind {
                differences.append(("delivery_kind", difference(.string(kind), .string(record.kind))))
            }
            if let answered = e.answered,
               !record.attempts.contains(where: { $0.statusCode.map(answered.contains) ?? false })
            {
                let seen = record.attempts.map { $0.statusCode.map(JSON.int) ?? .string($0.error ?? "no answer") }
                differences.append(("answered", difference(.string(answered.text), .array(seen))))
            }
            for (path, expected) in e.conditions {
                let actual = path == "payload" ? record.payload
                    : path.hasPrefix("payload.") ? record.payload?.value(at: String(path.dropFirst(8))) : nil
                if !matches(expected, actual) { differences.append((path, difference(expected, actual ?? .null))) }
            }
            if differences.isEmpty { finding.ids.append(record.id) } else { misses.append((record, differences)) }
        }
        finding.nearMisses = misses.suffix(Self.nearMissLimit).reversed().map { record, differences in
            ["id": .int(record.id), "payment": .string(record.payment), "kind": .string(record.kind),
             "state": .string(record.state), "differences": .object(differences)]
        }
        return finding
    }

    private func difference(_ expected: JSON, _ actual: JSON) -> JSON { ["expected": expected, "actual": actual] }
}
