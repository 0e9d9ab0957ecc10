import Dispatch
import HTTPServer
import SQLiteStore
import Synchronization

/// Runs what is due on the sandbox clock: scheduled jobs (each in its own transaction,
/// with the deliveries it causes) and deliveries (sent in parallel, in order per payment).
/// A timer ticks it; a state change wakes it at once; `advance` steps the clock through
/// every due moment up to a target and waits for what happens there.
public final class Scheduler: Sendable {
    let context: SandboxContext
    let providers: [String: any Provider]
    let policy: DeliveryPolicy
    let faults: Faults?
    private let sender: DeliverySender
    private let queue = DispatchQueue(label: "paysandbox.scheduler")
    /// Deliveries on the wire, and those whose attempt was recorded since the running tick
    /// read what is due: its list is stale for them (sent again from it, a delivered
    /// callback went twice), so they wait for the next tick.
    private let inFlight = Mutex<(sending: Set<Int64>, settled: Set<Int64>)>(([], []))
    private let sending = DispatchGroup()
    private let advancing = Mutex(())
    /// Dispatch sources are thread-safe (their methods may be called from any thread);
    /// the type is just not marked Sendable on Linux.
    nonisolated(unsafe) private let timer: DispatchSourceTimer
    private let started = Atomic<Bool>(false)
    private let stopped = Atomic<Bool>(false)
    /// Set while a wake-up's tick is queued and not yet started: later wake-ups join it.
    private let wakePending = Atomic<Bool>(false)

    init(context: SandboxContext, providers: [any Provider], policy: DeliveryPolicy, faults: Faults? = nil) {
        self.context = context
        self.faults = faults
        self.providers = Dictionary(providers.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        self.policy = policy
        sender = DeliverySender(policy: policy)
        timer = DispatchSource.makeTimerSource(queue: queue)
    }

    deinit {
        timer.cancel()
        // A source must be resumed once before it goes away.
        if !started.load(ordering: .relaxed) { timer.resume() }
    }

    /// How far ahead a newly scheduled job must fall due to need a wake-up (see
    /// `SandboxContext.wake(dueAt:)`): no less than the timer's interval.
    static let horizonMilliseconds: Int64 = 1_000

    /// Starts the timer (a backstop every `interval`, at most `horizonMilliseconds`;
    /// wake-ups make it prompt).
    public func start(interval: DispatchTimeInterval = .milliseconds(250)) {
        guard !started.exchange(true, ordering: .relaxed) else { return }
        timer.schedule(deadline: .now(), repeating: interval, leeway: .milliseconds(20))
        timer.setEventHandler { @Sendable [weak self] in self?.tick() }
        timer.resume()
    }

    /// Stops the timer and waits (bounded) for deliveries in flight to be recorded.
    public func stop() {
        stopped.store(true, ordering: .releasing)
        timer.cancel()
        _ = sending.wait(timeout: .now() + policy.timeoutSeconds)
        sender.invalidate()
    }

    /// Something became due now (a delivery was queued, an immediate job scheduled).
    /// Wake-ups that arrive while one is queued join it: its tick starts after their
    /// changes were committed, so it sees them. (One tick per creating call had cost a
    /// Dispatch thread's wake-up and four store reads per request under a write load.)
    public func wake() {
        guard !wakePending.exchange(true, ordering: .acquiringAndReleasing) else { return }
        queue.async { [weak self] in
            self?.wakePending.store(false, ordering: .sequentiallyConsistent)
            self?.tick()
        }
    }

    /// Runs due jobs, then starts due deliveries. Safe to call from anywhere, any time.
    func tick() {
        guard !stopped.load(ordering: .acquiring) else { return }
        let now = context.clock.nowMilliseconds()
        runDueJobs(now: now)
        startDueDeliveries(now: now)
        scheduleNextWake()
    }

    /// Runs the due jobs in one transaction, each in a savepoint of its own: a job that
    /// fails is undone alone, logged and dropped, and the others land.
    private func runDueJobs(now: Int64) {
        guard let jobs = try? context.store.read({ db in try Jobs.due(db, now: now) }), !jobs.isEmpty else { return }
        do {
            try context.store.write { db in
                for job in jobs {
                    guard let provider = providers[job.provider] else { continue }
                    do {
                        try db.savepoint { db in
                            guard try Jobs.claim(db, job.id) else { return }
                            try provider.runJob(job, db, context.scoped(to: provider))
                        }
                    } catch {
                        context.logger.error(
                            "job \(job.id) (\(job.provider) \(job.kind) \(job.payment)) failed: \(error); dropped")
                        _ = try Jobs.claim(db, job.id)
                    }
                }
            }
        } catch {
            context.logger.error("running due jobs: \(error)")
        }
    }

    private func startDueDeliveries(now: Int64) {
        inFlight.withLock { $0.settled.removeAll() }
        guard var due = try? context.store.read({ db in try Outbox.due(db, now: now) }) else { return }
        if let faults, due.contains(where: { $0.fault == nil }) {
            // Each delivery's fault is decided once, before its first attempt, and kept.
            var decisions: [(Int64, DeliveryFault?)] = []
            for index in due.indices where due[index].fault == nil {
                let fault = faults.deliveryFault(provider: due[index].provider, account: due[index].account)
                decisions.append((due[index].id, fault))
                due[index].fault = fault?.text ?? ""
            }
            let moved: Set<Int64>
            do {
                moved = try context.store.write { db in try Outbox.decide(db, decisions, now: now) }
            } catch {
                context.logger.error("keeping delivery faults: \(error)")
                return
            }
            // Delayed ones wait; reordered queues start again from their new head.
            let delayed = Set(decisions.filter { $0.1?.kind == .delay }.map(\.0))
            due.removeAll { delayed.contains($0.id) || moved.contains($0.id) }
            if !moved.isEmpty { wake() }
        }
        for row in due {
            let started = inFlight.withLock { !$0.settled.contains(row.id) && $0.sending.insert(row.id).inserted }
            guard started else { continue }
            sending.enter()
            if let fault = row.fault.flatMap(DeliveryFault.init(text:)), fault.kind == .dropFirst,
                row.attempts < fault.amount
            {
                // Logged as failed, never sent: as if the network lost it.
                finish(
                    row,
                    AttemptResult(
                        statusCode: nil, error: "dropped by fault rule \(fault.rule) (as if the network lost it)",
                                          durationMs: 0, response: nil))
                continue
            }
            let sent = sender.send(row) { [self] result in
                finish(row, result)
            }
            if !sent {  // stopping: it stays pending in the store, sent after the next start
                inFlight.withLock { _ = $0.sending.remove(row.id) }
                sending.leave()
            }
        }
    }

    private func finish(_ row: DeliveryRow, _ result: AttemptResult) {
        let jitter = Double(context.ids.int(in: -1000 ... 1000)) / 1000
        do {
            try context.store.write { db in
                try Outbox.record(db, row, result, at: context.clock.nowMilliseconds(), policy: policy, jitter: jitter)
            }
        } catch {
            context.logger.error("recording delivery \(row.id): \(error)")
        }
        context.logger.info(
            "delivery \(row.id) \(row.provider) → \(row.url): "
            + "\(result.statusCode.map(String.init) ?? result.error ?? "?") in \(result.durationMs)ms"
        )
        inFlight.withLock {
            _ = $0.sending.remove(row.id)
            $0.settled.insert(row.id)
        }
        sending.leave()
        // The next delivery of the same payment (or a replay) may be waiting for this one.
        wake()
    }

    /// Sets a one-shot wake-up for the next due moment if it comes before the next tick.
    private func scheduleNextWake() {
        guard !context.clock.isFrozen, let next = nextDue() else { return }
        let wait = next - context.clock.nowMilliseconds()
        guard wait > 0, wait < 250 else { return }
        queue.asyncAfter(deadline: .now() + .milliseconds(Int(wait))) { [weak self] in self?.tick() }
    }

    private func nextDue() -> Int64? {
        let inFlightIDs = inFlight.withLock { $0.sending }
        return try? context.store.read { db -> Int64? in
            let job = try Jobs.nextDue(db)
            // A delivery in flight is not due again until its attempt is recorded.
            let delivery = inFlightIDs.isEmpty ? try Outbox.nextDue(db) : try db.queryOne(
                    "SELECT MIN(next_attempt_at) FROM deliveries WHERE state = 'pending' AND id NOT IN "
                    + "(\(inFlightIDs.map(String.init).joined(separator: ",")))"
                )?[0].int64
            return [job, delivery].compactMap { $0 }.min()
        }
    }

    public struct AdvanceSummary: Sendable {
        public let from: Int64
        public let to: Int64
        public let steps: Int
    }

    /// Moves the clock forward by `milliseconds`, stopping at every moment something is
    /// due on the way, running it and waiting for its deliveries' attempts, so that
    /// everything scheduled up to the new time has happened when this returns.
    public func advance(by milliseconds: Int64) throws -> AdvanceSummary {
        try advancing.withLock { _ in
            let from = context.clock.nowMilliseconds()
            let target = from + max(0, milliseconds)
            var steps = 0
            while steps < 10_000 {
                sending.wait()
                guard let next = nextDue(), next <= target else { break }
                context.clock.set(to: next)
                queue.sync { tick() }
                steps += 1
            }
            context.clock.set(to: target)
            queue.sync { tick() }
            sending.wait()
            try context.store.write { db in
                try SandboxContext.keep(db, "clock_advanced_ms", String(context.clock.advancedMilliseconds))
            }
            return AdvanceSummary(from: from, to: target, steps: steps)
        }
    }
}
