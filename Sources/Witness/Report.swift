import HTTPServer
import SandboxCore

/// One item of the readiness report.
struct Check: Sendable {
    enum Status: String, Sendable, CaseIterable {
        case pass, fail
        case notExercised = "not_exercised"
        case notApplicable = "not_applicable"
    }

    let id: String
    let title: String
    var status: Status
    var evidence: [JSON] = []
    /// What to do about a failure; why, for one not applicable or not exercised.
    var advice: String?

    var json: JSON {
        ["id": .string(id), "title": .string(title), "status": .string(status.rawValue),
         "evidence": .array(evidence), "advice": .optional(advice)]
    }
}

/// Everything one account did, and had done to it, since its report last started.
struct History: Sendable {
    let provider: String
    let account: Int
    let conduct: Conduct
    /// Oldest first.
    let calls: [Call]
    let deliveries: [DeliveryRecord]
    /// When the report starts (nil: the account's whole life).
    let since: String?

    static let limit = 10_000

    /// Evidence naming a request.
    static func evidence(_ call: Call, _ note: String) -> JSON {
        ["journal": .int(call.id), "at": .string(Timestamp.iso8601(milliseconds: call.at)),
         "route": .optional(call.route), "status": .int(call.status), "payment": .optional(call.payment),
         "note": .string(note)]
    }

    /// Evidence naming a delivery.
    static func evidence(_ delivery: DeliveryRecord, _ note: String) -> JSON {
        ["delivery": .int(delivery.id), "payment": .string(delivery.payment), "kind": .string(delivery.kind),
         "note": .string(note)]
    }
}

/// The readiness report of one account: every check, with a summary, as JSON, text or JUnit XML.
/// Made from the account's history, or read back from its JSON (`paysandbox report`).
public struct Report: Sendable {
    public let provider: String
    public let account: Int
    let since: String?
    let checks: [Check]

    init(_ history: History) {
        provider = history.provider
        account = history.account
        since = history.since
        checks = Checks.all.map { $0(history) }
    }

    /// A report as `GET …/report` answers it; nil for anything else.
    public init?(json: JSON) {
        guard let provider = json["provider"]?.stringValue, let account = json["account"]?.intValue,
              let items = json["checks"]?.arrayValue else { return nil }
        var checks: [Check] = []
        for item in items {
            guard let id = item["id"]?.stringValue, let title = item["title"]?.stringValue,
                  let status = item["status"]?.stringValue.flatMap(Check.Status.init(rawValue:)) else { return nil }
            checks.append(Check(id: id, title: title, status: status, evidence: item["evidence"]?.arrayValue ?? [],
                                advice: item["advice"]?.stringValue))
        }
        self.provider = provider
        self.account = account
        since = json["since"]?.stringValue
        self.checks = checks
    }

    public var failed: Bool { checks.contains { $0.status == .fail } }

    public var json: JSON {
        let counts = Check.Status.allCases.map { status in
            (status.rawValue, JSON.int(checks.count { $0.status == status }))
        }
        return [
            "provider": .string(provider), "account": .int(account), "since": .optional(since),
            "checks": .array(checks.map(\.json)), "summary": .object(counts),
        ]
    }

    /// A line of counts, then a line per check: what a person reads at the end of a test run.
    public var text: String {
        let counts = Check.Status.allCases.map { status in
            "\(checks.count { $0.status == status }) \(status.rawValue.replacingUnderscores)"
        }
        let verdict = failed ? "NOT READY" : "ready"
        var lines = ["\(provider) account \(account): \(verdict) (\(counts.joined(separator: ", ")))"]
        for check in checks {
            let mark = check.status == .fail ? "FAIL" : check.status == .pass ? "pass" : "-"
            var line = "  \(mark.padded(to: 5)) \(check.id): \(check.title)"
            if check.status != .pass, let advice = check.advice { line += " (\(advice))" }
            lines.append(line)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// One JUnit document: a `testsuite`.
    public var junit: String { "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + suite }

    /// One JUnit document, a `testsuite` per report in a `testsuites`, a `testcase` per check:
    /// `failure` with the evidence, `skipped` for one not exercised or not applicable.
    public static func junit(_ reports: [Report]) -> String {
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n" + reports.map(\.suite).joined()
            + "</testsuites>\n"
    }

    private var suite: String {
        let name = "paysandbox.\(provider).account\(account)"
        var xml = "<testsuite name=\"\(name.xmlEscaped)\" tests=\"\(checks.count)\" "
            + "failures=\"\(checks.count { $0.status == .fail })\" "
            + "skipped=\"\(checks.count { $0.status == .notExercised || $0.status == .notApplicable })\">\n"
        for check in checks {
            xml += "  <testcase classname=\"\(name.xmlEscaped)\" "
                + "name=\"\(check.id.xmlEscaped): \(check.title.xmlEscaped)\""
            let evidence = check.evidence.map { $0.serialized() }.joined(separator: "\n")
            switch check.status {
            case .pass:
                xml += "/>\n"
            case .fail:
                xml += ">\n    <failure message=\"\((check.advice ?? check.title).xmlEscaped)\">"
                    + "\(evidence.xmlEscaped)</failure>\n  </testcase>\n"
            case .notExercised, .notApplicable:
                xml += ">\n    <skipped message=\"\(check.status.rawValue): \((check.advice ?? "").xmlEscaped)\"/>\n"
                    + "  </testcase>\n"
            }
        }
        return xml + "</testsuite>\n"
    }
}

extension String {
    fileprivate var replacingUnderscores: String { String(map { $0 == "_" ? " " : $0 }) }

    fileprivate func padded(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }

    /// Text as XML or SVG may hold it: markup characters escaped, XML 1.0's forbidden controls left out.
    var xmlEscaped: String {
        var out = ""
        for c in unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "\n", "\t": out.unicodeScalars.append(c)
            default:
                if c.value >= 0x20 { out.unicodeScalars.append(c) }
            }
        }
        return out
    }
}
