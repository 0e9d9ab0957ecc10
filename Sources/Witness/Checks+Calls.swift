import HTTPServer
import SandboxCore

extension Checks {
    /// Answers the client never had: lost on the way back, timed out, or reset.
    static let lostAnswers: Set<String> = ["lost_response", "timeout", "reset"]
    /// The first retry after a failure comes no sooner than this.
    static let firstRetryMilliseconds: Int64 = 100
    /// Retries of one route in a row after failures, at most.
    static let maxRetries = 5

    /// A call whose client saw a failure: a 5xx, no answer at all (reset, timeout), or an answer lost.
    static func failed(_ call: Call) -> Bool {
        call.status >= 500 || call.status == 0 || call.fault == "lost_response"
    }

    /// What makes a call the same call again: its route, and the order (a create) or the payment it names.
    static func retryKey(_ call: Call, _ conduct: Conduct) -> String {
        let creates = call.route.map(conduct.creates.contains) == true
        return (call.route ?? call.method + " " + call.path) + " " + ((creates ? conduct.orderKey(of: call) : nil)
            ?? call.payment ?? "")
    }

    static func noDuplicateAfterLostAnswer(_ h: History) -> Check {
        let check = Check(
            id: "no-duplicate-after-lost-answer", title: "A create whose answer was lost is looked up, not repeated",
            status: .pass)
        let lost = h.calls.filter { call in
            call.route.map(h.conduct.creates.contains) == true && call.fault.map(lostAnswers.contains) == true
        }
        guard !lost.isEmpty else { return ne(check, "No create lost its answer yet (a lost_response, timeout or "
            + "reset fault on the create route does it).") }
        var bad: [JSON] = [], good: [JSON] = []
        for first in lost {
            guard let key = h.conduct.orderKey(of: first) else {
                good.append(History.evidence(first, "names no order the sandbox can compare"))
                continue
            }
            let later = h.calls.drop { $0.id <= first.id }
            let repeated = later.first { call in
                call.route.map(h.conduct.creates.contains) == true && (200..<300).contains(call.status)
                    && h.conduct.orderKey(of: call) == key && (first.payment == nil || call.payment != first.payment)
            }
            guard let repeated else {
                good.append(History.evidence(first, "answer lost; no second payment for \(key)"))
                continue
            }
            let lookedUp = later.prefix { $0.id < repeated.id }.contains { call in
                call.method == "GET" && call.route.map(h.conduct.tokenCalls.contains) == false
                    && (200..<300).contains(call.status)
            }
            if lookedUp {
                good.append(History.evidence(repeated, "created again for \(key) after looking the first one up"))
            } else {
                bad.append(History.evidence(repeated, "a second payment for \(key) after create \(first.id) lost its "
                    + "answer (\(first.fault ?? "")), with no look-up between"))
            }
        }
        return judged(check, bad: bad, good: good, advice:
            "When a create's answer is lost the payment may exist: look it up by your order "
            + "reference before creating it again, or the customer may pay twice.")
    }

    static func retryAfterHonoured(_ h: History) -> Check {
        let check = Check(id: "retry-after-honoured", title: "Retry-After is waited for", status: .pass)
        var bad: [JSON] = [], good: [JSON] = []
        for (index, call) in h.calls.enumerated() {
            guard let text = call.responseHeaders["Retry-After"], let seconds = Int64(text) else { continue }
            guard let next = h.calls[(index + 1)...].first(where: { $0.route == call.route }) else {
                good.append(History.evidence(call, "Retry-After \(seconds) s; no later call on the route"))
                continue
            }
            let waited = next.wall - call.wall
            // 50 ms for the clocks of two requests' answers.
            if waited + 50 >= seconds * 1000 {
                good.append(History.evidence(next, "waited \(waited) ms of \(seconds) s"))
            } else {
                bad.append(History.evidence(
                    next, "came \(waited) ms after a Retry-After of \(seconds) s (call \(call.id))"))
            }
        }
        guard !bad.isEmpty || !good.isEmpty else {
            return ne(check, "No answer carried Retry-After yet (an error fault with retry_after does it).")
        }
        return judged(check, bad: bad, good: good, advice:
            "Read Retry-After on 429 and 503 answers and wait at least that long before the next call.")
    }

    static func retriesBackOff(_ h: History) -> Check {
        let check = Check(id: "retries-back-off", title: "Retries after failures back off, then stop", status: .pass)
        let failures = h.calls.filter(failed)
        guard !failures.isEmpty else {
            return ne(check, "No call failed yet (a 5xx, reset or timeout fault does it).")
        }
        var bad: [JSON] = [], good: [JSON] = []
        var seen: Set<Int64> = []
        for start in failures where !seen.contains(start.id) {
            // The run: the failure, then the same call again (its route, for the same order or
            // payment) while the one before failed.
            var run = [start]
            let key = retryKey(start, h.conduct)
            for call in h.calls where call.id > start.id && retryKey(call, h.conduct) == key {
                guard let last = run.last, failed(last) else { break }
                run.append(call)
            }
            run.forEach { seen.insert($0.id) }
            let gaps = zip(run, run.dropFirst()).map { $1.wall - $0.wall }
            let retries = gaps.count
            if retries > maxRetries {
                bad.append(History.evidence(run[maxRetries + 1], "retry \(retries) in a row on \(start.route ?? "?"): "
                    + "it did not stop after \(maxRetries)"))
            } else if let first = gaps.first, first < firstRetryMilliseconds {
                bad.append(History.evidence(run[1], "retried \(first) ms after failure \(start.id)"))
            } else if let shrink = gaps.indices.dropLast().first(where: { gaps[$0 + 1] * 10 < gaps[$0] * 9 }) {
                bad.append(History.evidence(run[shrink + 2], "waited \(gaps[shrink + 1]) ms after waiting "
                    + "\(gaps[shrink]) ms: retries must wait longer each time"))
            } else {
                let waits = gaps.map { "\($0) ms" }.joined(separator: ", ")
                let note = gaps.isEmpty ? "failed; not retried" : "retried after " + waits
                good.append(History.evidence(start, note))
            }
        }
        return judged(check, bad: bad, good: good, advice:
            "Retry a failed call with growing waits (exponential backoff with jitter, starting at "
            + "\(firstRetryMilliseconds) ms or more) and give up after \(maxRetries) retries: hammering a "
            + "provider that is down keeps it down.")
    }

    static func tokenReused(_ h: History) -> Check {
        var check = Check(id: "token-reused", title: "A token serves many calls", status: .pass)
        if let why = h.conduct.noTokens { return na(check, why) }
        let tokens = h.calls.filter { call in
            call.route.map(h.conduct.tokenCalls.contains) == true && (200..<300).contains(call.status)
        }
        guard !tokens.isEmpty else { return ne(check, "No token was fetched yet.") }
        let lifetime = Int64(h.conduct.tokenLifetime ?? 0) * 1000
        var bad: [JSON] = []
        for (a, b) in zip(tokens, tokens.dropFirst()) where b.at < a.at + lifetime {
            let refused = h.calls.contains { $0.id > a.id && $0.id < b.id && ($0.status == 401 || $0.status == 403) }
            if !refused { bad.append(History.evidence(b, "a new token while token \(a.id)'s was still live")) }
        }
        let others = h.calls.count { $0.route.map(h.conduct.tokenCalls.contains) == false }
        guard bad.isEmpty else {
            check.status = .fail
            check.evidence = limited(bad)
            check.advice = "Keep the token and reuse it until it expires or is refused: a login per call doubles the "
                + "calls and, with real providers, hits their rate limits."
            return check
        }
        check.evidence = [["note": .string("\(tokens.count) token(s) for \(others) other call(s)")]]
        return check
    }

    static func tokenRenewed(_ h: History) -> Check {
        var check = Check(id: "token-renewed", title: "An expired token is renewed at once", status: .pass)
        if let why = h.conduct.noTokens { return na(check, why) }
        let isToken = { (call: Call) in call.route.map(h.conduct.tokenCalls.contains) == true }
        let refused = h.calls.enumerated().filter { !isToken($0.element) && $0.element.status == 401 }
        guard !refused.isEmpty else { return ne(check, "No call was refused for its token yet.") }
        var bad: [JSON] = [], good: [JSON] = []
        for (index, call) in refused {
            guard let next = h.calls[(index + 1)...].first else { continue }
            if !isToken(next) && next.status == 401 {
                bad.append(History.evidence(next, "refused again after call \(call.id) was: no new token between"))
            } else {
                good.append(History.evidence(call, "refused; the next call was \(next.route ?? next.method)"))
            }
        }
        guard bad.isEmpty else {
            check.status = .fail
            check.evidence = limited(bad)
            check.advice = "On a 401, fetch a new token once and retry; do not keep sending the refused one."
            return check
        }
        if good.isEmpty { return ne(check, "A call was refused for its token, and nothing came after it yet.") }
        check.evidence = limited(good)
        return check
    }

    static func requestsValid(_ h: History) -> Check {
        var check = Check(id: "requests-valid", title: "No call is refused for bad input", status: .pass)
        guard !h.calls.isEmpty else { return ne(check, "This account made no call yet.") }
        let refused = h.calls.filter { ($0.status == 400 || $0.status == 422) && $0.fault == nil }
        guard !refused.isEmpty else {
            check.evidence = [["note": .string("\(h.calls.count) call(s), none refused for its input")]]
            return check
        }
        check.status = .fail
        check.evidence = limited(refused.map { call in
            History.evidence(call, String(String(decoding: call.responseBody, as: UTF8.self).prefix(300)))
        })
        check.advice = "Fix what each refused call sent, as the provider's message says: a refused create is a "
            + "payment your customer could not make."
        return check
    }
}
