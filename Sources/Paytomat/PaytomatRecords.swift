import HTTPServer
import SandboxCore

/// Paytomat's records as its store reads them, and as its API shows them.
extension PaytomatStore {
    enum Status: String, CaseIterable, Sendable, Decodable {
        case new, pending, confirmation, cancellation, success, cancelled, failure, chargeback, timeout

        /// Where a transaction ends: its postback is sent.
        var isFinal: Bool { [.success, .cancelled, .failure, .chargeback, .timeout].contains(self) }
    }

    /// A transaction as stored.
    struct Transaction: Sendable, Decodable {
        let id, merchant: Int
        let status: Status
        let code, comment, address, currencyIn, currencyOut, amountIn, amountOut, rate, qrCode: String
        let ref, callbackURL, details: String?
        let created, updated: Int64
        let productID: Int?


        /// As `GET /transaction` shows it: amounts and rate as strings.
        var json: JSON {
            [
                "address": .string(address), "amount_in": .string(amountIn), "amount_out": .string(amountOut),
                "comment": .string(comment), "created": .string(Timestamp.dateTime(milliseconds: created)),
                "currency_in": .string(currencyIn), "currency_out": .string(currencyOut), "id": .int(id),
                "rate": .string(rate), "ref": ref.map(JSON.string) ?? .null, "status": .string(status.rawValue),
                "updated": .string(Timestamp.dateTime(milliseconds: updated)), "qr_code": .string(qrCode),
                "note": .string(note), "product_id": productID.map { .int($0) } ?? .null,
                "callback_url": callbackURL.map(JSON.string) ?? .null,
            ]
        }
    }

    /// A product as stored.
    struct Product: Sendable, Decodable {
        let id, skipEmail: Int
        let amount, currency, title, unit, callbackURL, customCSS, fields: String


        func json(successes: Int) -> JSON {
            [
                "id": .int(id), "amount": .string(amount), "currency": .string(currency), "title": .string(title),
                "unit": .string(unit), "fields": (try? JSON.parse(fields)) ?? [], "callback_url": .string(callbackURL),
                "tx_success": .int(successes), "custom_css": .string(customCSS), "skip_email": .int(skipEmail),
            ]
        }
    }
}
