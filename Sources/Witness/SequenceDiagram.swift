import HTTPServer
import SandboxCore

/// One payment's story as an SVG sequence diagram, drawn on the server (no scripts): the
/// integration's calls to the provider, the provider's callbacks to the integration and how each
/// was answered, in wall-clock order, faults in red.
struct SequenceDiagram: Sendable {
    struct Event: Sendable {
        let wall: Int64
        /// Integration → provider (a call), or provider → integration (a callback attempt).
        let toProvider: Bool
        let label: String
        let fault: String?
        let failed: Bool
    }

    let events: [Event]

    init(payment: String, calls: [Call], deliveries: [DeliveryRecord]) {
        var events = calls.filter { $0.payment == payment }.map { call in
            let answer = call.status == 0 ? "no answer" : String(call.status)
            let route = call.route ?? call.method + " " + call.path
            return Event(wall: call.wall, toProvider: true, label: "\(route) → \(answer)",
                         fault: call.fault, failed: call.status == 0 || call.status >= 400)
        }
        for delivery in deliveries where delivery.payment == payment {
            for attempt in delivery.attempts {
                let result = attempt.statusCode.map(String.init) ?? (attempt.dropped ? "lost" : "no answer")
                events.append(Event(
                    wall: attempt.wall, toProvider: false,
                    label: "\(delivery.kind) #\(delivery.id) attempt \(attempt.number) → \(result)",
                    fault: attempt.number == 1 || attempt.dropped ? delivery.fault : nil, failed: !attempt.answered2xx))
            }
        }
        self.events = events.sorted { $0.wall < $1.wall }
    }

    static let width = 760
    static let left = 170
    static let right = 690
    static let row = 30
    static let top = 44

    var svg: String {
        let height = Self.top + events.count * Self.row + 16
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" class=\"sequence\" "
            + "viewBox=\"0 0 \(Self.width) \(height)\" width=\"\(Self.width)\" height=\"\(height)\" "
            + "font-family=\"system-ui,sans-serif\" font-size=\"12\">"
        out += "<text x=\"\(Self.left)\" y=\"16\" text-anchor=\"middle\" font-weight=\"600\">Your integration</text>"
        out += "<text x=\"\(Self.right)\" y=\"16\" text-anchor=\"middle\" font-weight=\"600\">Provider (sandbox)</text>"
        for x in [Self.left, Self.right] {
            out += "<line x1=\"\(x)\" y1=\"24\" x2=\"\(x)\" y2=\"\(height - 8)\" "
                + "stroke=\"#9ca3af\" stroke-dasharray=\"4 3\"/>"
        }
        let start = events.first?.wall ?? 0
        for (index, event) in events.enumerated() {
            let y = Self.top + index * Self.row + 10
            let color = event.fault != nil ? "#b91c1c" : event.failed ? "#b45309" : "#1f2937"
            let (from, to) = event.toProvider ? (Self.left, Self.right) : (Self.right, Self.left)
            let head = event.toProvider ? "\(to - 8),\(y - 4) \(to),\(y) \(to - 8),\(y + 4)"
                : "\(to + 8),\(y - 4) \(to),\(y) \(to + 8),\(y + 4)"
            out += "<g class=\"event\(event.fault != nil ? " fault" : "")\">"
            out += "<text x=\"8\" y=\"\(y + 4)\" fill=\"#6b7280\">+\(event.wall - start) ms</text>"
            out += "<line x1=\"\(from)\" y1=\"\(y)\" x2=\"\(to)\" y2=\"\(y)\" "
                + "stroke=\"\(color)\" stroke-width=\"1.5\"/>"
            out += "<polygon points=\"\(head)\" fill=\"\(color)\"/>"
            let label = event.label + (event.fault.map { " ⚡ fault: \($0)" } ?? "")
            out += "<text x=\"\((Self.left + Self.right) / 2)\" y=\"\(y - 5)\" "
                + "text-anchor=\"middle\" fill=\"\(color)\">"
                + label.xmlEscaped + "</text></g>"
        }
        return out + "</svg>"
    }
}
