import HTTPServer
import SandboxResources
import SQLiteStore
import Locks

/// Every page the sandbox serves (payer pages and the dashboard) is a template from
/// `Resources/templates/` rendered inside `layout.html`: a clear sandbox banner, readable on
/// a phone, no scripts, nothing fetched from elsewhere. Text only gets in escaped.
public enum SandboxPage {
    /// `templates/<name>.html` rendered with `context`, inside the layout. `layout` adds the
    /// layout's own switches (`dashboard`, `refresh`, `now`). `redirects` are the URLs the
    /// page's forms may end at (a merchant's return URL: the policy's `form-action` must let
    /// the redirect after the POST through), `images` those of images it shows.
    public static func render(
        _ name: String, title: String, _ context: JSON = [:], status: Int = 200, layout: JSON = [:],
                              redirects: [String] = [], images: [String] = []) -> HTTPResponse {
        do {
            let body = try template(name).render(context)
            var frame: [(String, JSON)] = [("title", .string(title)), ("body", .string(body))]
            frame += layout.objectValue ?? []
            var response = HTTPResponse.html(try template("layout").render(.object(frame)), status: status)
            secure(&response, redirects: redirects, images: images)
            return response
        } catch {
            return .text("The page template \(name) could not be rendered: \(error)\n", status: 500)
        }
    }

    /// What every page answers with: no scripts, styles inline only, forms only to the
    /// sandbox (and where they redirect), images as the page needs, never in a frame, no
    /// sniffing, no referrer.
    static func secure(_ response: inout HTTPResponse, redirects: [String], images: [String]) {
        let forms = (["'self'"] + redirects.compactMap(origin)).joined(separator: " ")
        let pictures = (["'self'", "data:"] + images.compactMap(origin)).joined(separator: " ")
        response.headers.set(
            "Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'; img-src \(pictures); "
                             + "form-action \(forms); frame-ancestors 'none'; base-uri 'none'")
        response.headers.set("X-Content-Type-Options", "nosniff")
        response.headers.set("Referrer-Policy", "no-referrer")
        response.headers.set("X-Frame-Options", "DENY")
    }

    /// `scheme://host[:port]` of an absolute http(s) URL, nil for anything else (nothing of
    /// it can break out of the policy: only the URL characters a host may hold are kept).
    static func origin(_ url: String) -> String? {
        guard isAbsoluteHTTPURL(url), let start = url.range(of: "://") else { return nil }
        let rest = url[start.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let host = authority.split(separator: "@").last.map(String.init) ?? ""
        guard !host.isEmpty, host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-.:[]".contains($0)) })
        else { return nil }
        return url[..<start.upperBound].lowercased() + host.lowercased()
    }

    /// A page's form action: refused (403, changing nothing) when a page of another site sends
    /// it, as a browser marks it (`Sec-Fetch-Site`, `Origin`); a merchant's server or curl
    /// sends neither and is let through.
    public static func action(_ handler: @escaping Handler) -> Handler {
        { request in
            if let refusal = crossSiteRefusal(request) { return refusal }
            return try handler(request)
        }
    }

    public static func action(_ handler: @escaping AsyncHandler) -> AsyncHandler {
        { request in
            if let refusal = crossSiteRefusal(request) { return refusal }
            return try await handler(request)
        }
    }

    private static func crossSiteRefusal(_ request: HTTPRequest) -> HTTPResponse? {
        guard !request.isSafeMethod, request.isCrossOrigin else { return nil }
        return message("Not from another site", "This form can only be sent from the sandbox's own page.", status: 403)
    }

    /// A page that only says something: an unknown payment, a form to fill again, …
    /// A page's refusal thrown from deep inside it: answered as `message` answers.
    public struct Refusal: Error, HTTPResponseConvertible {
        public let response: HTTPResponse
        public init(_ title: String, _ text: String, status: Int) {
            response = SandboxPage.message(title, text, status: status)
        }
    }

    public static func message(_ title: String, _ text: String, status: Int) -> HTTPResponse {
        render("message", title: title, ["message": .string(text)], status: status)
    }

    private static let cache = Locked<[String: Template]>([:])

    /// The parsed template, read from the resources once.
    public static func template(_ name: String) throws -> Template {
        if let cached = cache.withLock({ $0[name] }) { return cached }
        guard let bytes = SandboxResources.data("templates/\(name).html") else {
            throw TemplateError("no template \(name).html")
        }
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
