import HTTPServer
import SQLiteStore
import SandboxCore

/// The PayPal-style approval page `redirectUrl` points to: company, logo, lines, amount,
/// Approve and Cancel; both go back to the payment's `returnUrl`.
struct AlphacommPage {
    let context: SandboxContext

    func show(_ request: HTTPRequest) throws -> HTTPResponse {
        let id = request.parameters["paymentId"] ?? ""
        guard let payment = try AlphacommStore(context: context).payment(id: id) else {
            return SandboxPage.render("Unknown payment", "<p>No payment <code>\(HTML.escape(id))</code>.</p>", status: 404)
        }
        let lines = (payment.lines.arrayValue ?? []).map { line in
            "<tr><td>\(HTML.escape(line["name"]?.stringValue ?? ""))<br><small>\(HTML.escape(line["description"]?.stringValue ?? ""))</small></td>"
                + "<td>\(HTML.escape(line["quantity"]?.stringValue ?? ""))</td>"
                + "<td>\(HTML.escape(Self.money(line["amount"]?.intValue ?? 0, payment.currency)))</td></tr>"
        }.joined()
        var body = """
            <p><img src="\(HTML.escape(payment.logo))" alt="\(HTML.escape(payment.company)) logo" width="190" height="100"></p>
            <p><strong>\(HTML.escape(payment.company))</strong> asks you to pay:</p>
            <table><thead><tr><th>Item</th><th>Qty</th><th>Price</th></tr></thead><tbody>\(lines)</tbody></table>
            <p>\(HTML.escape(payment.description))</p>
            <p class="amount">Total: <strong>\(HTML.escape(Self.money(payment.amount, payment.currency)))</strong></p>
            <p class="status">Status: \(HTML.escape(payment.state))</p>
            """
        if payment.state == "accepted" {
            body += """
                <form method="post" action="\(HTML.escape(request.mountPrefix))/paypal/approve/\(HTML.escape(PercentDecoding.encode(payment.id)))">
                  <button type="submit" name="decision" value="approve">Approve</button>
                  <button type="submit" name="decision" value="cancel">Cancel</button>
                </form>
                """
        }
        return SandboxPage.render("PayPal checkout", body)
    }

    func submit(_ request: HTTPRequest) throws -> HTTPResponse {
        let id = request.parameters["paymentId"] ?? ""
        let outcome: Outcome
        switch request.formBody["decision"] {
        case "approve": outcome = .success
        case "cancel": outcome = Outcome(.failure, message: "Cancelled by the payer")
        default: return SandboxPage.render("Choose", "<p>Approve or cancel the payment.</p>", status: 400)
        }
        var returnURL = ""
        do {
            try context.store.write { db in
                guard let payment = try AlphacommStore.payment(db, id: id) else { throw CompletionError.notFound }
                guard payment.state == "accepted" else { throw CompletionError.alreadyFinal(status: payment.state) }
                returnURL = payment.returnURL
                try AlphacommStore.complete(db, id: id, outcome: outcome, context: context)
            }
        } catch CompletionError.notFound {
            return SandboxPage.render("Unknown payment", "<p>No payment <code>\(HTML.escape(id))</code>.</p>", status: 404)
        } catch CompletionError.alreadyFinal(let status) {
            return SandboxPage.render("Already done", "<p>This payment is already <strong>\(HTML.escape(status))</strong>.</p>", status: 409)
        }
        return .redirect(to: returnURL, status: 303)
    }

    static func money(_ cents: Int, _ currency: String) -> String {
        SandboxPage.amount(minorUnits: cents) + " " + currency
    }
}
