import HTTPServer
import SandboxCore

/// The readiness checks: each reads one account's history and says pass, fail, not exercised
/// or not applicable, with its evidence. Numbers a check uses are written in docs/verification.md.
enum Checks {
    static let all: [@Sendable (History) -> Check] = [
        callbacksAcknowledged, callbacksIdempotent, statusRechecked, noDuplicateAfterLostAnswer,
        retryAfterHonoured, retriesBackOff, tokenReused, tokenRenewed, requestsValid,
    ]

    /// At most this many items of evidence a check lists (the rest are counted).
    static let evidenceLimit = 20

    static func limited(_ evidence: [JSON], of total: Int? = nil) -> [JSON] {
        let total = total ?? evidence.count
        guard total > evidenceLimit || evidence.count > evidenceLimit else { return evidence }
        return Array(evidence.prefix(evidenceLimit)) + [["more": .int(total - min(evidence.count, evidenceLimit))]]
    }

    static func describe(_ attempt: DeliveryRecord.Attempt) -> String {
        if let code = attempt.statusCode { return "answered \(code)" }
        return attempt.error ?? "no answer"
    }

    // MARK: callbacks

    static func callbacksAcknowledged(_ h: History) -> Check {
        var check = Check(id: "callbacks-acknowledged", title: "Callbacks are acknowledged at once", status: .pass)
        if let why = h.conduct.noCallbacks { return na(check, why) }
        let sent = h.deliveries.filter { !$0.sent.isEmpty }
        guard !sent.isEmpty else { return ne(check, "No callback was sent to this account yet.") }
        var bad: [JSON] = []
        for delivery in sent {
            guard let first = delivery.sent.first else { continue }
            if !first.answered2xx {
                bad.append(History.evidence(delivery, "first attempt \(describe(first))"))
            } else if delivery.state == "failed" {
                bad.append(History.evidence(delivery, "failed after \(delivery.attempts.count) attempts"))
            }
        }
        if bad.isEmpty {
            check.evidence = limited(sent.map { delivery in
                History.evidence(delivery, "answered \(delivery.sent[0].statusCode ?? 0) at once")
            })
            return check
        }
        check.status = .fail
        check.evidence = limited(bad)
        check.advice = "Answer every callback with a 2xx as soon as it is stored, before any slow work: "
            + "a provider that gets no 2xx in time sends it again, and after its last retry gives up."
        return check
    }

    static func callbacksIdempotent(_ h: History) -> Check {
        let check = Check(
            id: "callbacks-idempotent", title: "A callback sent again changes nothing twice", status: .pass)
        if let why = h.conduct.noCallbacks { return na(check, why) }
        // Sent again after the merchant may have acted on it: an earlier attempt was answered 2xx
        // or went unanswered (a timeout, a reset).
        let again = h.deliveries.filter { delivery in
            let sent = delivery.sent
            return sent.indices.dropFirst().contains { i in
                sent[..<i].contains { $0.answered2xx || $0.statusCode == nil }
            }
        }
        guard !again.isEmpty else {
            return ne(check, "No callback was sent twice yet (a duplicate fault, a replay or a lost answer does it).")
        }
        var bad: [JSON] = [], good: [JSON] = []
        for delivery in again {
            let sent = delivery.sent
            guard let firstIndex = sent.firstIndex(where: { $0.answered2xx || $0.statusCode == nil }) else { continue }
            let later = sent[(firstIndex + 1)...]
            if let refused = later.first(where: { !$0.answered2xx }) {
                bad.append(History.evidence(delivery, "sent again, attempt \(refused.number) \(describe(refused))"))
                continue
            }
            let start = sent[firstIndex].wall
            let changes = h.calls.filter {
                $0.payment == delivery.payment && $0.wall >= start && (200..<300).contains($0.status)
                    && $0.route.map(h.conduct.changes.contains) == true
            }
            let twice = Dictionary(grouping: changes, by: { $0.route ?? "" }).values.first { $0.count > 1 }
            if let twice {
                bad.append(History.evidence(twice[1], "a second \(twice[1].route ?? "") for payment "
                    + "\(delivery.payment) after callback \(delivery.id) came again"))
            } else {
                good.append(History.evidence(
                    delivery, "sent \(sent.count) times, each answered 2xx, nothing done twice"))
            }
        }
        return judged(check, bad: bad, good: good, advice:
            "Treat callbacks as at-least-once: record each payment's outcome once (keyed by its id) "
            + "and answer 2xx to a repeat without acting on it again.")
    }

    static func statusRechecked(_ h: History) -> Check {
        var check = Check(
            id: "status-rechecked", title: "Each callback's payment is read back through the API", status: .pass)
        if let why = h.conduct.noCallbacks { return na(check, why) }
        if let why = h.conduct.noStatusCall { return na(check, why) }
        var bad: [JSON] = [], good: [JSON] = []
        var seen: Set<String> = []
        for delivery in h.deliveries {
            guard let answered = delivery.sent.first(where: { $0.answered2xx }) else { continue }
            // Once per payment and callback body: a repeat of the same news needs no second read.
            guard seen.insert(delivery.payment + " " + String(decoding: delivery.body, as: UTF8.self)).inserted else {
                continue
            }
            // The create itself may be journaled after an immediate settle's callback went out.
            let start = answered.wall
            let next = h.calls.first { call in
                call.payment == delivery.payment && call.wall >= start
                    && call.route.map(h.conduct.creates.contains) != true
            }
            if let next, let route = next.route, h.conduct.statusReads.contains(route) {
                good.append(History.evidence(next, "read back after callback \(delivery.id)"))
            } else if let next {
                bad.append(History.evidence(next, "callback \(delivery.id) was trusted: the next call on payment "
                    + "\(delivery.payment) was \(next.route ?? next.method), not a status read"))
            } else {
                bad.append(History.evidence(delivery, "never read back after this callback"))
            }
        }
        guard !good.isEmpty || !bad.isEmpty else { return ne(check, "No callback was acknowledged yet.") }
        if bad.isEmpty {
            check.evidence = limited(good)
            return check
        }
        check.status = .fail
        check.evidence = limited(bad)
        check.advice = "The provider does not sign its callbacks, so anyone can send one: treat a callback only as "
            + "a hint and read the payment's status (\(h.conduct.statusReads.sorted().joined(separator: ", "))) "
            + "before you act on it."
        return check
    }

    /// Failed with `bad` as its evidence and `advice`, or passed with `good`.
    static func judged(_ check: Check, bad: [JSON], good: [JSON], advice: String) -> Check {
        var check = check
        if bad.isEmpty {
            check.evidence = limited(good)
        } else {
            check.status = .fail
            check.evidence = limited(bad)
            check.advice = advice
        }
        return check
    }

    static func na(_ check: Check, _ why: String) -> Check {
        var check = check
        check.status = .notApplicable
        check.advice = why
        return check
    }

    static func ne(_ check: Check, _ why: String) -> Check {
        var check = check
        check.status = .notExercised
        check.advice = why
        return check
    }
}
