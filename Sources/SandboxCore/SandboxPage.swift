import HTTPServer
import SandboxResources
import SQLiteStore

/// Every page the sandbox serves (payer pages and the dashboard) is a template from
/// `Resources/templates/` rendered inside `layout.html`: a clear sandbox banner, readable on
/// a phone, no scripts, nothing fetched from elsewhere. Text only gets in escaped.
public enum SandboxPage {
    /// `templates/<name>.html` rendered with `context`, inside the layout. `layout` adds the
    /// layout's own switches (`dashboard`, `refresh`, `now`).
    public static func render(_ name: String, title: String, _ context: JSON = [:], status: Int = 200, layout: JSON = [:]) -> HTTPResponse {
        do {
            let body = try template(name).render(context)
            var frame: [(String, JSON)] = [("title", .string(title)), ("body", .string(body))]
            frame += layout.objectValue ?? []
            return .html(try template("layout").render(.object(frame)), status: status)
        } catch {
            return .text("The page template \(name) could not be rendered: \(error)\n", status: 500)
        }
    }

    /// A page that only says something: an unknown payment, a form to fill again, …
    public static func message(_ title: String, _ text: String, status: Int) -> HTTPResponse {
        render("message", title: title, ["message": .string(text)], status: status)
    }

    private static let cache = Locked<[String: Template]>([:])

    /// The parsed template, read from the resources once.
    public static func template(_ name: String) throws -> Template {
        if let cached = cache.withLock({ $0[name] }) { return cached }
        guard let bytes = SandboxResources.data("templates/\(name).html") else { throw TemplateError("no template \(name).html") }
        let parsed = try Template(String(decoding: bytes, as: UTF8.self))
        cache.withLock { $0[name] = parsed }
        return parsed
    }

    /// Groups thousands and keeps two decimals: 123456 minor units → "1,234.56".
    public static func amount(minorUnits: Int) -> String {
        let major = String(minorUnits / 100)
        var grouped = ""
        for (i, ch) in major.reversed().enumerated() {
            if i > 0 && i % 3 == 0 { grouped.append(",") }
            grouped.append(ch)
        }
        let minor = minorUnits % 100
        return String(grouped.reversed()) + "." + (minor < 10 ? "0" : "") + String(minor)
    }
}
