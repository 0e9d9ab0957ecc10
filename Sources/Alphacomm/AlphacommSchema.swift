import HTTPServer
import SandboxCore
import SandboxResources

/// The create call's schema (Resources/schemas/alphacomm-paypal-create.json) and the
/// formats it names, checked against the code tables in Resources/iso.
enum AlphacommSchema {
    static let create: JSONSchema = {
        let schema =
            SandboxResources.data("schemas/alphacomm-paypal-create.json").flatMap { try? JSON.parse($0) } ?? [:]
        return JSONSchema(schema: schema, formats: formats)
    }()

    static func table(_ name: String) -> Set<String> {
        Set(
            (SandboxResources.data("iso/\(name).json").flatMap { try? JSON.parse($0) }?.arrayValue ?? []).compactMap(
                \.stringValue))
    }

    static let countries = table("iso3166-1-alpha2")
    static let languages = table("iso639-1")
    static let currencies = table("iso4217")

    static let formats: [String: JSONSchema.FormatCheck] = [
        "uuid-v4-v5": { Formats.isUUID($0, versions: "45") },
        "absolute-url": isAbsoluteHTTPURL,
        "email": isEmailAddress,
        "iso3166-1-alpha2": { countries.contains($0) },
        "iso639-1": { languages.contains($0) },
        "iso4217": { currencies.contains($0) },
        "ip-address": Formats.isIPAddress,
        // `2016-11-22T11:39:21+0100`, `…Z`, `…+01:00`, with optional fraction; also
        // `2016-01-01 13:56:48` (the documented example's form).
        "iso8601-datetime": Formats.isDateTime,
        "numeric": Formats.isDecimal,
    ]
}
