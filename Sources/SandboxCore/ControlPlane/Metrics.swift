import HTTPServer
import SQLiteStore

/// `GET /_sandbox/metrics`: the Prometheus text exposition format (0.0.4). Requests and their
/// durations as the journal's flush counted them (nothing is counted on the request path), the
/// faults fired since start, and gauges read from the store when scraped.
struct Metrics {
    let sandbox: Sandbox

    func render() throws -> String {
        try sandbox.journal.flush()
        var out = Exposition()
        let counted = sandbox.journal.metrics.counted
        out.family("paysandbox_requests_total", "counter",
                   "Provider requests answered, by documented route (\"other\": none matched) and status.")
        for (key, count) in counted.requests.sorted(by: { ($0.key.provider, $0.key.route ?? "", $0.key.status)
            < ($1.key.provider, $1.key.route ?? "", $1.key.status) }) {
            out.sample("paysandbox_requests_total",
                       [("provider", key.provider), ("route", key.route ?? "other"), ("status", String(key.status))],
                       count)
        }
        out.family("paysandbox_request_duration_seconds", "histogram",
                   "Time from a provider request's arrival to its answer, by provider.")
        for (provider, histogram) in counted.durations.sorted(by: { $0.key < $1.key }) {
            var cumulative = 0
            for (index, bound) in RequestMetrics.bounds.enumerated() {
                cumulative += histogram.counts[index]
                out.sample("paysandbox_request_duration_seconds_bucket", [("provider", provider), ("le", "\(bound)")],
                           cumulative)
            }
            out.sample("paysandbox_request_duration_seconds_bucket", [("provider", provider), ("le", "+Inf")],
                       histogram.count)
            out.sample("paysandbox_request_duration_seconds_sum", [("provider", provider)],
                       Double(histogram.sumMicros) / 1_000_000)
            out.sample("paysandbox_request_duration_seconds_count", [("provider", provider)], histogram.count)
        }

        let (deliveries, attempts, payments) = try sandbox.store.read { db in
            (
                try db.query("SELECT provider, state, COUNT(*) FROM deliveries GROUP BY provider, state ORDER BY 1, 2"),
                try db.query("""
                    SELECT d.provider, CASE
                        WHEN a.status_code IS NULL THEN 'error'
                        ELSE (a.status_code / 100) || 'xx' END AS result, COUNT(*)
                    FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery
                    GROUP BY 1, 2 ORDER BY 1, 2
                    """),
                try db.query("SELECT provider, status, COUNT(*) FROM payments GROUP BY provider, status ORDER BY 1, 2")
            )
        }
        out.family("paysandbox_deliveries", "gauge", "Callbacks and webhooks, by state (pending, delivered, failed).")
        for row in deliveries {
            out.sample("paysandbox_deliveries", [("provider", row[0].string ?? ""), ("state", row[1].string ?? "")],
                       row[2].int ?? 0)
        }
        out.family("paysandbox_delivery_attempts_total", "counter",
                   "Attempts to deliver a callback or webhook, by result (2xx, 4xx, 5xx, error: none answered), "
                       + "since the last reset.")
        for row in attempts {
            out.sample("paysandbox_delivery_attempts_total",
                       [("provider", row[0].string ?? ""), ("result", row[1].string ?? "")], row[2].int ?? 0)
        }
        out.family("paysandbox_faults_fired_total", "counter", "Faults fired, by kind, since start.")
        for (key, count) in sandbox.faults.firedTotals.sorted(by: { ($0.key.provider, $0.key.kind)
            < ($1.key.provider, $1.key.kind) }) {
            out.sample("paysandbox_faults_fired_total", [("provider", key.provider), ("kind", key.kind)], count)
        }
        out.family("paysandbox_payments", "gauge", "Payments, by status.")
        for row in payments {
            out.sample("paysandbox_payments", [("provider", row[0].string ?? ""), ("status", row[1].string ?? "")],
                       row[2].int ?? 0)
        }
        out.family("paysandbox_journal_dropped_total", "counter",
                   "Requests not journaled (nor counted) because the journal's flush could not keep up.")
        out.sample("paysandbox_journal_dropped_total", [], sandbox.journal.droppedCount)
        out.family("paysandbox_open_connections", "gauge", "HTTP connections open now, on every port.")
        out.sample("paysandbox_open_connections", [], sandbox.openConnections())
        out.family("paysandbox_uptime_seconds", "gauge", "Seconds since the process started.")
        out.sample("paysandbox_uptime_seconds", [],
                   Double(SandboxClock.systemMilliseconds() - sandbox.startedAt) / 1000)
        out.family("paysandbox_build_info", "gauge", "The build: always 1, its version as a label.")
        out.sample("paysandbox_build_info", [("version", Sandbox.version)], 1)
        return out.text
    }
}

/// Lines of the text format: `# HELP` and `# TYPE` per family, then its samples.
private struct Exposition {
    var text = ""

    mutating func family(_ name: String, _ type: String, _ help: String) {
        text += "# HELP \(name) \(help.replacingOccurrences(of: "\\", with: "\\\\"))\n# TYPE \(name) \(type)\n"
    }

    mutating func sample(_ name: String, _ labels: [(String, String)], _ value: Int) {
        sample(name, labels, String(value))
    }

    mutating func sample(_ name: String, _ labels: [(String, String)], _ value: Double) {
        sample(name, labels, String(value))
    }

    private mutating func sample(_ name: String, _ labels: [(String, String)], _ value: String) {
        text += name
        if !labels.isEmpty {
            text += "{" + labels.map { "\($0.0)=\"\(Self.escaped($0.1))\"" }.joined(separator: ",") + "}"
        }
        text += " \(value)\n"
    }

    /// A label value as the format writes it: backslash, double quote and line feed escaped.
    private static func escaped(_ value: String) -> String {
        var out = ""
        for c in value {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(c)
            }
        }
        return out
    }
}
