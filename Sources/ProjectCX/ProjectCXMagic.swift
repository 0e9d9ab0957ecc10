import SandboxCore

/// Amounts whose cents force a failure, so a client can test its failure handling
/// without a page or a header (docs/projectcx.md).
enum ProjectCXMagic {
    static let failures: [Int: String] = [
        5: "Do not honour",
        51: "Insufficient funds",
        54: "Expired card",
        57: "Transaction not permitted to cardholder",
        91: "Bank timeout: issuer unavailable",
    ]

    /// The forced outcome for an amount in cents, nil for an ordinary amount.
    static func outcome(forAmount cents: Int) -> Outcome? {
        failures[cents % 100].map { Outcome(.failure, message: $0) }
    }
}
