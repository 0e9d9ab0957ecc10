import HTTPServer
import SQLiteStore
import SandboxCore

/// The payer's page: `/payment?orderId=<id>&return=<url>` (also `returnUrl`), where the
/// payer approves or declines, then goes back to the return URL.
struct ProjectCXPage {
    let context: SandboxContext

    func show(_ request: HTTPRequest) throws -> HTTPResponse {
        let query = request.query
        let returnURL = try self.returnURL(query["return"] ?? query["returnUrl"])
        guard let id = query["orderId"], !id.isEmpty else { return page("Missing orderId", "<p>This page needs <code>?orderId=&lt;id&gt;</code>.</p>", status: 400) }
        guard let order = try ProjectCXStore(context: context).order(id) else {
            return page("Unknown order", "<p>No order <code>\(HTML.escape(id))</code>.</p>", status: 404)
        }
        var body = """
            <dl>
              <dt>Amount</dt><dd class="amount">\(HTML.escape(Self.formatAUD(order.amount)))</dd>
              <dt>Description</dt><dd>\(HTML.escape(order.description ?? ""))</dd>
              <dt>Payment information</dt><dd>\(HTML.escape(order.info ?? ""))</dd>
              <dt>Order</dt><dd><code>\(HTML.escape(order.id))</code></dd>
              <dt>Status</dt><dd class="status">\(HTML.escape(order.status))</dd>
            </dl>
            """
        if order.status == "pending" {
            body += """
                <form method="post" action="\(HTML.escape(request.mountPrefix))/payment">
                  <input type="hidden" name="orderId" value="\(HTML.escape(order.id))">
                  <input type="hidden" name="return" value="\(HTML.escape(returnURL ?? ""))">
                  <button type="submit" name="decision" value="approve">Approve payment</button>
                  <button type="submit" name="decision" value="decline">Decline</button>
                </form>
                <p class="hint">Sandbox: amounts ending in .05, .51, .54, .57 or .91 fail on their own.</p>
                """
        } else {
            body += "<p>This order is complete: \(HTML.escape(order.message ?? order.status)).</p>"
            if let returnURL { body += "<p><a href=\"\(HTML.escape(returnURL))\">Return to the merchant</a></p>" }
        }
        return page("Project CX payment", body)
    }

    func submit(_ request: HTTPRequest) throws -> HTTPResponse {
        let form = request.formBody
        let returnURL = try self.returnURL(form["return"] ?? form["returnUrl"])
        guard let id = form["orderId"], !id.isEmpty else { return page("Missing orderId", "<p>The form had no orderId.</p>", status: 400) }
        let outcome: Outcome
        switch form["decision"] {
        case "approve": outcome = .success
        case "decline": outcome = Outcome(.failure, message: "Declined by the payer")
        default: return page("Choose", "<p>Approve or decline the payment.</p>", status: 400)
        }
        do {
            try context.store.write { db in try ProjectCXStore.complete(db, id: id, outcome: outcome, context: context) }
        } catch CompletionError.notFound {
            return page("Unknown order", "<p>No order <code>\(HTML.escape(id))</code>.</p>", status: 404)
        } catch CompletionError.alreadyFinal(let status) {
            return page("Already complete", "<p>This order is already <strong>\(HTML.escape(status))</strong>.</p>", status: 409)
        }
        context.wake()
        if let returnURL { return .redirect(to: returnURL, status: 303) }
        let word = outcome.kind == .success ? "approved" : "declined"
        return page("Payment \(word)", "<p>The payment was \(word). You can close this page.</p>")
    }

    /// A return URL, if given, must be an absolute http(s) URL (no `javascript:` redirects).
    private func returnURL(_ text: String?) throws -> String? {
        guard let text, !text.isEmpty else { return nil }
        guard isAbsoluteHTTPURL(text) else {
            throw ProjectCXPageError(page: page("Bad return URL", "<p>The return URL must be an absolute http or https URL.</p>", status: 400))
        }
        return text
    }

    static func formatAUD(_ cents: Int) -> String { "A$" + SandboxPage.amount(minorUnits: cents) }

    private func page(_ title: String, _ body: String, status: Int = 200) -> HTTPResponse {
        SandboxPage.render(title, body, status: status)
    }
}

struct ProjectCXPageError: Error, HTTPResponseConvertible {
    let page: HTTPResponse
    var response: HTTPResponse { page }
}
