import Dispatch
#if canImport(Glibc)
import Glibc
import Locks
#endif

/// Group commit: writers that arrive while a transaction is running are queued, and the
/// next batch runs all of their work in one transaction, and one COMMIT answers them all.
/// A piece that throws is undone alone (see `Store.runBatch`); a COMMIT that fails fails
/// every piece of the batch. Nobody is answered before their commit.
///
/// Two kinds of writer. One that waits (a thread calling `Store.write`) sleeps on a
/// semaphore of its own and is woken once, when its batch has committed; if no batch is
/// running when it arrives, it runs its own at once. One that is resumed (a task awaiting
/// `Store.write`, whose thread goes on serving other connections) is queued and resumed by
/// whoever ran its batch. While anything is queued, the committer (a serial Dispatch queue)
/// runs batch after batch until the queue is empty: under load it never sleeps, so a resumed
/// writer costs no thread hand-off at all. (A thread per waiting writer had cost about three
/// context switches and four futex calls per create at 32 connections.)
///
/// `@unchecked Sendable`: `queue` and `leading` are only touched under `mutex`; a request's
/// fields are written by the batch's runner before it is woken or resumed, and read by its
/// owner after that; a request is run by one runner while its owner waits or is suspended.
final class GroupCommit: @unchecked Sendable {
    final class Request {
        /// Dropped by the batch once it has ended: it may hold a closure that must not
        /// outlive its writer's call (`withoutActuallyEscaping`). It may run twice (see
        /// `Store.runBatch`).
        var work: ((Database) throws -> Void)?
        /// What `work` threw (its changes undone), or what the batch's BEGIN or COMMIT threw.
        var failure: Error?
        /// For a writer that waits; nil for one that is resumed.
        let wake: DispatchSemaphore?
        /// For a writer that is resumed: called once its batch has ended.
        private(set) var resume: (() -> Void)?

        init(_ work: @escaping (Database) throws -> Void, resume: (() -> Void)? = nil) {
            self.work = work
            self.resume = resume
            wake = resume == nil ? DispatchSemaphore(value: 0) : nil
        }

        /// What the writer gets: `value` (set by `work`) once committed, else the error.
        func outcome<T>(_ value: T?) throws -> T {
            if let failure { throw failure }
            guard let value else { throw SQLiteError(code: 1, message: "write was not run", sql: nil) }
            return value
        }

        /// Tells the writer its batch has ended (committed or not).
        func finish() {
            if let resume {
                self.resume = nil
                resume()
            } else {
                wake?.signal()
            }
        }
    }

    private let mutex = Lock()
    private var queue: [Request] = []
    /// A batch is running or about to: newcomers queue behind it.
    private var leading = false
    private let committer = DispatchQueue(label: "paysandbox.commit")

    /// Queues a writer that waits, and returns once its batch has committed (or failed to).
    /// `runBatch` runs a whole batch in one transaction; only one runs at a time.
    func submit(_ request: Request, runBatch: @escaping @Sendable ([Request]) -> Void) {
        mutex.lock()
        queue.append(request)
        if leading {
            mutex.unlock()
            request.wake?.wait()
            return
        }
        // Nothing running: this writer runs its batch itself (its own request is in it).
        leading = true
        let batch = queue
        queue.removeAll(keepingCapacity: true)
        mutex.unlock()
        runBatch(batch)
        handOver(runBatch)
        for finished in batch where finished !== request { finished.finish() }
    }

    /// Queues a writer that is resumed (`request.resume`) once its batch has ended; returns
    /// at once.
    func submit(resumed request: Request, runBatch: @escaping @Sendable ([Request]) -> Void) {
        mutex.lock()
        queue.append(request)
        let start = !leading
        leading = true
        mutex.unlock()
        if start { committer.async { [self] in commitQueued(runBatch) } }
    }

    /// After a batch: the committer takes over what was queued meanwhile, or nobody leads.
    private func handOver(_ runBatch: @escaping @Sendable ([Request]) -> Void) {
        mutex.lock()
        let more = !queue.isEmpty
        if !more { leading = false }
        mutex.unlock()
        if more { committer.async { [self] in commitQueued(runBatch) } }
    }

    /// The committer: batch after batch until nothing is queued. An empty queue is looked at
    /// again a few dozen times, yielding the core in between, before the committer lets go:
    /// under load the next writer is usually a few microseconds away, and waking a committer
    /// that has let go costs it a thread wake-up in the path of every write.
    private func commitQueued(_ runBatch: ([Request]) -> Void) {
        var emptyLooks = 0
        while true {
            mutex.lock()
            if queue.isEmpty {
                if emptyLooks < 64 {
                    emptyLooks += 1
                    mutex.unlock()
                    sched_yield()
                    continue
                }
                leading = false
                mutex.unlock()
                return
            }
            emptyLooks = 0
            let batch = queue
            queue.removeAll(keepingCapacity: true)
            mutex.unlock()
            runBatch(batch)
            for finished in batch { finished.finish() }
        }
    }
}
