import HTTPServer
import SQLiteStore
import SandboxCore

/// The payer's page: `/payment?orderId=<id>&return=<url>` (also `returnUrl`), where the
/// payer approves or declines, then goes back to the return URL.
struct ProjectCXPage {
    let context: ProviderContext
    let orders: StoreCache<String, ProjectCXStore.Order>

    func show(_ request: HTTPRequest) throws -> HTTPResponse {
        let query = request.query
        let returnURL = try self.returnURL(query["return"], query["returnUrl"])
        guard let id = query["orderId"], !id.isEmpty else {
            return SandboxPage.message("Missing orderId", "This page needs ?orderId=<id>.", status: 400)
        }
        guard let order = try orders.value(id, load: { try ProjectCXStore(context: context).order(id) }) else {
            return SandboxPage.message("Unknown order", "No order “\(id)”.", status: 404)
        }
        let view: JSON = [
            "amount": .string(Self.formatAUD(order.amount)), "description": .string(order.description ?? ""),
            "info": .string(order.info ?? ""),
            "id": .string(order.id), "status": .string(order.status.rawValue),
            "message": .string(order.message ?? order.status.rawValue), "pending": .bool(order.status == .pending),
            "action": .string(request.mountPrefix + "/payment"),
            "returnURL": .string(returnURL ?? "")
        ]
        return SandboxPage.render("projectcx-payment", title: "Project CX payment", view, redirects: [returnURL ?? ""])
    }

    func submit(_ request: HTTPRequest) async throws -> HTTPResponse {
        let form = request.formBody
        let returnURL = try self.returnURL(form["return"], form["returnUrl"])
        guard let id = form["orderId"], !id.isEmpty else {
            return SandboxPage.message("Missing orderId", "The form had no orderId.", status: 400)
        }
        let outcome: Outcome
        switch form["decision"] {
        case "approve": outcome = .success
        case "decline": outcome = Outcome(.failure, message: "Declined by the payer")
        default: return SandboxPage.message("Choose", "Approve or decline the payment.", status: 400)
        }
        do {
            try await ProjectCXStore(context: context).complete(id: id, outcome: outcome)
        } catch CompletionError.notFound {
            return SandboxPage.message("Unknown order", "No order “\(id)”.", status: 404)
        } catch CompletionError.alreadyFinal(let status) {
            return SandboxPage.message("Already complete", "This order is already \(status).", status: 409)
        }
        if let returnURL { return .redirect(to: returnURL, status: 303) }
        let word = outcome.kind == .success ? "approved" : "declined"
        return SandboxPage.message("Payment \(word)", "The payment was \(word). You can close this page.", status: 200)
    }

    /// The return URL: `return`, or else `returnUrl`; each one given must be an absolute http(s)
    /// URL (no `javascript:` redirects).
    private func returnURL(_ texts: String?...) throws -> String? {
        let given = texts.compactMap { $0 }.filter { !$0.isEmpty }
        guard given.allSatisfy(isAbsoluteHTTPURL) else {
            throw SandboxPage.Refusal(
                "Bad return URL", "The return URL must be an absolute http or https URL.", status: 400)
        }
        return given.first
    }

    static func formatAUD(_ cents: Int) -> String { "A$" + SandboxPage.amount(minorUnits: cents) }
}
