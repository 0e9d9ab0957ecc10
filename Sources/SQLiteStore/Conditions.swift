/// A `WHERE` clause built from optional filters, with its arguments in order.
public struct Conditions {
    fileprivate var clauses: [String] = []
    public fileprivate(set) var arguments: [any SQLBindable] = []

    public init() {}

    /// Adds `clause` (with one `?`) when `value` is present.
    public mutating func add(_ clause: String, _ value: (any SQLBindable)?) {
        guard let value else { return }
        clauses.append(clause)
        arguments.append(value)
    }

    /// "WHERE a = ? AND b = ?", or "" when nothing was added.
    public var sql: String { clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ") }
}

extension Conditions {
    /// Adds `clause` with as many `?` as `values` (always).
    public mutating func add(_ clause: String, _ values: [any SQLBindable]) {
        clauses.append(clause)
        arguments.append(contentsOf: values)
    }
}
