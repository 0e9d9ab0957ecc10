import HTTPServer

/// How a payment ends: success, or failure with a message; optionally after a delay.
public struct Outcome: Sendable, Equatable {
    public enum Kind: String, Sendable { case success, failure }

    public var kind: Kind
    public var message: String?
    public var afterSeconds: Int?

    public init(_ kind: Kind, message: String? = nil, afterSeconds: Int? = nil) {
        self.kind = kind
        self.message = message
        self.afterSeconds = afterSeconds
    }

    public static let success = Outcome(.success)

    /// The `X-PaySandbox-Outcome` header: `success`, `failure; message="Insufficient funds"; after=30`.
    public static func parse(header: String) throws(OutcomeError) -> Outcome {
        var parts = splitParameters(header)
        guard !parts.isEmpty, let kind = Kind(rawValue: parts.removeFirst().lowercased()) else {
            throw OutcomeError("X-PaySandbox-Outcome must start with success or failure, got '\(header)'")
        }
        var outcome = Outcome(kind)
        for part in parts {
            let kv = part.split(separator: "=", maxSplits: 1).map { String($0).trimmingASCIISpaces() }
            guard kv.count == 2 else { throw OutcomeError("X-PaySandbox-Outcome: parameter '\(part)' needs a value") }
            var value = kv[1]
            if value.hasPrefix("\"") && value.hasSuffix("\"") && value.count >= 2 {
                value = String(value.dropFirst().dropLast()).replacingBackslashEscapes()
            }
            switch kv[0].lowercased() {
            case "message": outcome.message = value
            case "after":
                guard let seconds = Int(value), seconds >= 0, seconds <= 366 * 86400 else {
                    throw OutcomeError("X-PaySandbox-Outcome: after must be whole seconds, 0 to 31622400")
                }
                outcome.afterSeconds = seconds
            default: throw OutcomeError("X-PaySandbox-Outcome: unknown parameter '\(kv[0])'")
            }
        }
        return outcome
    }

    /// The control plane's body: `{"outcome":"failure","message":"..."}`.
    public static func parse(json: JSON) throws(OutcomeError) -> Outcome {
        guard case .object = json else {
            throw OutcomeError("body must be a JSON object like {\"outcome\":\"success\"}")
        }
        guard let text = json["outcome"]?.stringValue, let kind = Kind(rawValue: text) else {
            throw OutcomeError("outcome must be \"success\" or \"failure\"")
        }
        var outcome = Outcome(kind)
        if let message = json["message"], !message.isNull {
            guard let s = message.stringValue else { throw OutcomeError("message must be a string") }
            outcome.message = s
        }
        return outcome
    }

    public var json: JSON {
        ["outcome": .string(kind.rawValue), "message": message.map(JSON.string) ?? .null]
    }

    /// Reads back `json` (a job's payload); nil when it holds no outcome.
    public init?(payload: JSON) {
        guard let kind = payload["outcome"]?.stringValue.flatMap(Kind.init(rawValue:)) else { return nil }
        self.init(kind, message: payload["message"]?.stringValue)
    }

    /// `a; b=1; c="x;y"` → `["a", "b=1", "c=\"x;y\""]` (this header's and `X-PaySandbox-Fault`'s).
    static func splitParameters(_ text: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var quoted = false
        var escaped = false
        for ch in text {
            if escaped { current.append(ch); escaped = false; continue }
            if ch == "\\" && quoted { current.append(ch); escaped = true; continue }
            if ch == "\"" { quoted.toggle() }
            if ch == ";" && !quoted {
                parts.append(current.trimmingASCIISpaces())
                current = ""
            } else {
                current.append(ch)
            }
        }
        let last = current.trimmingASCIISpaces()
        if !last.isEmpty { parts.append(last) }
        return parts
    }
}

public struct OutcomeError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ d: String) { description = d }
}

extension String {
    fileprivate func replacingBackslashEscapes() -> String {
        var out = ""
        var escaped = false
        for ch in self {
            if escaped { out.append(ch); escaped = false } else if ch == "\\" { escaped = true } else { out.append(ch) }
        }
        return out
    }
}

/// How an account's payments settle when nobody acts.
public struct SettleSettings: Sendable, Equatable {
    public enum Mode: String, Sendable { case immediate, delay, manual }

    public var mode: Mode
    public var seconds: Int

    public init(_ mode: Mode, seconds: Int = 0) {
        self.mode = mode
        self.seconds = seconds
    }

    public var json: JSON { ["mode": .string(mode.rawValue), "seconds": .int(seconds)] }

    static func parse(_ json: JSON) throws(OutcomeError) -> SettleSettings {
        guard case .object = json, let text = json["mode"]?.stringValue, let mode = Mode(rawValue: text) else {
            throw OutcomeError("settle.mode must be \"immediate\", \"delay\" or \"manual\"")
        }
        var seconds = 0
        if let s = json["seconds"], !s.isNull {
            guard let v = s.intValue, v >= 0, v <= 366 * 86400 else {
                throw OutcomeError("settle.seconds must be whole seconds, 0 to 31622400")
            }
            seconds = v
        }
        if mode == .delay && json["seconds"] == nil {
            throw OutcomeError("settle.seconds is required with mode \"delay\"")
        }
        return SettleSettings(mode, seconds: seconds)
    }
}

/// When and how a new payment completes on its own: nil `at` means it waits for the
/// payer's page or the control plane.
public struct SettlePlan: Sendable, Equatable {
    public let outcome: Outcome
    public let at: Int64?
}
