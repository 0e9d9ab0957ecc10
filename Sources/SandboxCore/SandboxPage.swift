import HTTPServer

/// The one layout every payer page shares: a clear sandbox banner, readable on a phone,
/// no scripts, nothing fetched from elsewhere. `body` must already be escaped HTML.
public enum SandboxPage {
    public static func render(_ title: String, _ body: String, status: Int = 200) -> HTTPResponse {
        .html("""
            <!doctype html>
            <html lang="en">
            <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(HTML.escape(title)) · PaySandbox</title>
            <style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem}
            .banner{background:#fde68a;padding:.5rem 1rem;border-radius:.5rem}dt{font-weight:600}dd{margin:0 0 .5rem}
            label{display:block;margin:.5rem 0}input{font-size:1rem;padding:.3rem}
            button{font-size:1rem;padding:.6rem 1.2rem;margin:.3rem}.hint{color:#555;font-size:.9rem}.error{color:#b91c1c}</style></head>
            <body><p class="banner" role="note">PaySandbox: a test payment, no money moves.</p>
            <h1>\(HTML.escape(title))</h1>
            \(body)
            </body></html>
            """, status: status)
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
