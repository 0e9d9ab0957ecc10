import HTTPServer
import SandboxCore

/// PayXToday's records as its store reads them, and as its API shows them.
extension PayXTodayStore {
    struct Client: Sendable, Decodable {
        let id, reseller, idCountry: Int
        let name, eMail: String
        let city, postalCode, address, phone, description: String?
        let createdAt: Int64

        /// As the API shows it; embedded in a payment it has no `description`.
        func json(embedded: Bool = false) -> JSON {
            var members: [(String, JSON)] = [
                ("reseller", .int(reseller)), ("id_client", .int(id)), ("name", .string(name)),
                ("country", PayXTodayData.countriesByID[idCountry] ?? .null),
                ("city", .optional(city)), ("postal_code", .optional(postalCode)), ("address", .optional(address)),
                ("phone", .optional(phone)), ("e_mail", .string(eMail)),
            ]
            if !embedded { members.append(("description", .optional(description))) }
            members.append(("created_at", .string(Timestamp.dateTime(milliseconds: createdAt))))
            return .object(members)
        }
    }

    struct Payment: Sendable, Decodable {
        let id, reseller, client, paymentSystem, period: Int
        let uuid, price: String
        let state: State
        var success = 0
        let description, urlSuccess, urlError: String?
        var errorMessage, ipAddress, ipCountry, cardFirstSix, cardLastFour, cardExpDate, cardType, cardCategory,
            cardProduct, issuer: String?
        let createdAt: Int64
        var paidAt: Int64?

        enum State: String, Sendable, Decodable { case pending, paid, failed }

        /// As the API shows it, with its client as a payment embeds it.
        func json(client: JSON) -> JSON {
            [
                "reseller": .int(reseller), "id_payment": .int(id), "uuid_payment": .string(uuid), "client": client,
                "payment_system": PayXTodayData.paymentSystems(reseller: reseller).first { $0.id == paymentSystem }?
                    .json ?? .null,
                "price": .string(price), "period": .int(period), "success": .int(success),
                "error_message": .optional(errorMessage),
                "paid_at": paidAt.map { .string(Timestamp.dateTime(milliseconds: $0)) } ?? .null,
                "created_at": .string(Timestamp.dateTime(milliseconds: createdAt)),
                "IpAddress": .optional(ipAddress), "IpCountry": .optional(ipCountry),
                "CardFirstSix": .optional(cardFirstSix), "CardLastFour": .optional(cardLastFour),
                "CardExpDate": .optional(cardExpDate), "CardType": .optional(cardType),
                "CardCategory": .optional(cardCategory), "CardProduct": .optional(cardProduct),
                "Issuer": .optional(issuer), "description": .optional(description),
                "url_success": .optional(urlSuccess), "url_error": .optional(urlError),
            ]
        }
    }
}
