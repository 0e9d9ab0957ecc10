import ArgumentParser
import Foundation

extension Optional {
    func orThrow(_ error: @autoclosure () -> Error) throws -> Wrapped {
        guard let self else { throw error() }
        return self
    }
}

/// `PAYSANDBOX_*` variables.
struct Environment {
    subscript(name: String) -> String? {
        guard let value = getenv("PAYSANDBOX_" + name) else { return nil }
        let text = String(cString: value)
        return text.isEmpty ? nil : text
    }

    func int(_ name: String) throws -> Int? {
        guard let text = self[name] else { return nil }
        guard let value = Int(text) else { throw ValidationError("PAYSANDBOX_\(name) must be a number, got '\(text)'") }
        return value
    }

    func double(_ name: String) throws -> Double? {
        guard let text = self[name] else { return nil }
        guard let value = Double(text) else {
            throw ValidationError("PAYSANDBOX_\(name) must be a number, got '\(text)'")
        }
        return value
    }

    func flag(_ name: String) -> Bool {
        guard let text = self[name]?.lowercased() else { return false }
        return ["1", "true", "yes", "on"].contains(text)
    }
}
