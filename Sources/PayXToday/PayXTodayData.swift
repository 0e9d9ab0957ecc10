import HTTPServer
import SandboxResources

/// The country list (Resources/payxtoday/countries.json: every ISO 3166-1 country with a
/// stable id; the document's own ids kept: United States 1, Austria 2, Norway 102), the
/// payment systems, the BIN table and the test cards.
enum PayXTodayData {
    static let countries: [JSON] =
        SandboxResources.data("payxtoday/countries.json").flatMap { try? JSON.parse($0) }?.arrayValue ?? []
    static let countriesByID: [Int: JSON] = Dictionary(
        countries.compactMap { c in c["id"]?.intValue.map { ($0, c) } }, uniquingKeysWith: { a, _ in a })

    struct PaymentSystem: Sendable {
        let id: Int
        let name: String
        var json: JSON { ["id_payment_system": .int(id), "name": .string(name)] }
    }

    /// Reseller 2 has two, so its payments must name one (docs/payxtoday.md).
    static func paymentSystems(reseller: Int) -> [PaymentSystem] {
        let lam = PaymentSystem(id: 1, name: "CP LAM MSC TV")
        return reseller == 2 ? [lam, PaymentSystem(id: 2, name: "Sandbox Card EU")] : [lam]
    }

    struct Card: Sendable {
        let type, category, product, issuer: String
    }

    /// Card details by BIN (first six digits), then by first digits.
    static func card(bin: String) -> Card {
        switch bin {
        case "469279": return Card(type: "Visa", category: "Visa Classic ()", product: "F", issuer: "Bank Norwegian As")
        case "411111": return Card(type: "Visa", category: "Visa Classic ()", product: "F", issuer: "Sandbox Visa Bank")
        case "555555":
            return Card(type: "MasterCard", category: "Standard", product: "MCS", issuer: "Sandbox Mastercard Bank")
        default:
            if bin.hasPrefix("4") {
                return Card(type: "Visa", category: "Visa Classic ()", product: "F", issuer: "Sandbox Bank")
            }
            if bin.hasPrefix("5") || bin.hasPrefix("2") {
                return Card(type: "MasterCard", category: "Standard", product: "MCS", issuer: "Sandbox Bank")
            }
            if bin.hasPrefix("34") || bin.hasPrefix("37") {
                return Card(type: "American Express", category: "Green", product: "AX", issuer: "Sandbox Bank")
            }
            return Card(type: "Unknown", category: "", product: "", issuer: "Sandbox Bank")
        }
    }

    /// Test cards that fail, with the message the gateway gives.
    static let declined: [String: String] = [
        "4000000000095051": "5051 (Insufficient funds)",
        "4000000000070005": "05 (Do not honour)",
        "4000000000070054": "54 (Expired card)",
    ]
}
