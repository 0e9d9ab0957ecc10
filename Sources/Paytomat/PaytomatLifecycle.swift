import HTTPServer
import SQLiteStore
import SandboxCore

/// The transaction life cycle: new → pending → confirmation → success as the payment is
/// received and confirmed, or timeout, failure, cancelled, and cancellation → chargeback.
enum PaytomatLifecycle {
    /// Runs a job on a transaction still in the status it was scheduled for.
    static func run(_ job: Job, _ db: Database, _ context: ProviderContext) throws {
        guard let id = Int(job.payment), let transaction = try PaytomatStore.transaction(db, id: id) else { return }
        let timing = PaytomatTiming(settings: try context.settings(db, account: transaction.merchant))
        switch (job.kind, transaction.status) {
        case (.settle, .new):
            let outcome = Outcome(payload: job.payload) ?? .success
            if outcome.kind == .success { return try receive(db, id: id, timing: timing, context: context) }
            try context.cancelJobs(db, payment: job.payment)
            try PaytomatStore.transition(
                db, id: id, to: .failure, comment: outcome.message ?? "Payment failed", context: context)
        case (.confirm, .pending):
            try PaytomatStore.transition(
                db, id: id, to: .confirmation, comment: "Waiting for confirmations", context: context)
            try context.schedule(db, kind: .complete, payment: job.payment,
                                 at: context.clock.nowMilliseconds() + Int64(timing.confirmationSeconds) * 1000)
        case (.complete, .confirmation):
            try PaytomatStore.transition(db, id: id, to: .success, comment: "Payment received", context: context)
        case (.timeout, .new):
            try context.cancelJobs(db, payment: job.payment)
            try PaytomatStore.transition(
                db, id: id, to: .timeout, comment: "Payment not received in time", context: context)
        case (.chargeback, .cancellation):
            try PaytomatStore.transition(db, id: id, to: .chargeback, comment: "Charged back", context: context)
        default:
            return
        }
    }

    /// The payer's coins arrived: pending now, confirmation and success to follow.
    static func receive(_ db: Database, id: Int, timing: PaytomatTiming, context: ProviderContext) throws {
        try context.cancelJobs(db, payment: String(id))
        try PaytomatStore.transition(
            db, id: id, to: .pending, comment: "Payment received, waiting for confirmations", context: context)
        try context.schedule(db, kind: .confirm, payment: String(id),
                             at: context.clock.nowMilliseconds() + Int64(timing.confirmationSeconds) * 1000)
    }
}

extension JobKind {
    /// Paytomat's steps after a payment is received, and the ends nobody acts on.
    static let confirm = JobKind("confirm")
    static let complete = JobKind("complete")
    static let timeout = JobKind("timeout")
    static let chargeback = JobKind("chargeback")
}
