import HTTPServer
import SQLiteStore
import SandboxCore

/// The transaction life cycle: new → pending → confirmation → success as the payment is
/// received and confirmed, or timeout, failure, cancelled, and cancellation → chargeback.
enum PaytomatLifecycle {
    /// Jobs: "settle" (the plan's outcome), "confirm", "complete", "timeout", "chargeback".
    static func run(_ job: Job, _ db: Database, _ context: ProviderContext) throws {
        guard let id = Int(job.payment), let row = try PaytomatStore.transaction(db, id: id) else { return }
        let status = row["status"].string ?? ""
        let timing = PaytomatTiming(
            settings: try context.settings(db, account: row["merchant"].int ?? 0))
        let now = context.clock.nowMilliseconds()
        switch job.kind {
        case "settle":
            guard status == "new" else { return }
            let outcome = Outcome(payload: job.payload) ?? .success
            if outcome.kind == .success {
                try receive(db, id: id, timing: timing, now: now, context: context)
            } else {
                try context.cancelJobs(db, payment: job.payment)
                try PaytomatStore.transition(
                    db, id: id, to: "failure", comment: outcome.message ?? "Payment failed", context: context)
            }
        case "confirm":
            guard status == "pending" else { return }
            try PaytomatStore.transition(
                db, id: id, to: "confirmation", comment: "Waiting for confirmations", context: context)
            try context.schedule(db, kind: "complete", payment: job.payment,
                              at: now + Int64(timing.confirmationSeconds) * 1000)
        case "complete":
            guard status == "confirmation" else { return }
            try PaytomatStore.transition(db, id: id, to: "success", comment: "Payment received", context: context)
        case "timeout":
            guard status == "new" else { return }
            try context.cancelJobs(db, payment: job.payment)
            try PaytomatStore.transition(
                db, id: id, to: "timeout", comment: "Payment not received in time", context: context)
        case "chargeback":
            guard status == "cancellation" else { return }
            try PaytomatStore.transition(db, id: id, to: "chargeback", comment: "Charged back", context: context)
        default:
            return
        }
    }

    /// The payer's coins arrived: pending now, confirmation and success to follow.
    static func receive(_ db: Database, id: Int, timing: PaytomatTiming, now: Int64, context: ProviderContext) throws {
        try context.cancelJobs(db, payment: String(id))
        try PaytomatStore.transition(
            db, id: id, to: "pending", comment: "Payment received, waiting for confirmations", context: context)
        try context.schedule(db, kind: "confirm", payment: String(id),
                          at: now + Int64(timing.confirmationSeconds) * 1000)
    }

    /// The control plane: success or failure now, from any state before a final one.
    static func complete(_ db: Database, id: Int, outcome: Outcome, context: ProviderContext) throws {
        guard let row = try PaytomatStore.transaction(db, id: id) else { throw CompletionError.notFound }
        let status = row["status"].string ?? ""
        guard ["new", "pending", "confirmation"].contains(status) else {
            throw CompletionError.alreadyFinal(status: status)
        }
        try context.cancelJobs(db, payment: String(id))
        if outcome.kind == .success {
            try PaytomatStore.transition(
                db, id: id, to: "success", comment: outcome.message ?? "Payment received", context: context)
        } else {
            try PaytomatStore.transition(
                db, id: id, to: "failure", comment: outcome.message ?? "Payment failed", context: context)
        }
    }
}
