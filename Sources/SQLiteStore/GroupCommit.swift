/// Group commit: writers that arrive while a transaction is running wait, and the first of
/// them then runs all of their work in one transaction, each piece in a savepoint of its
/// own, and one COMMIT answers them all. A piece that throws is undone alone; a COMMIT that
/// fails fails every piece of the batch. Nobody is answered before their commit.
///
/// Each waiting writer sleeps on a condition of its own and is woken once: when its batch
/// has committed, or when it is to lead the next batch (a broadcast to every waiter after
/// each batch had woken them all to find, mostly, that they were still waiting).
///
/// `@unchecked Sendable`: `queue` and `leading` are only touched under `mutex`; a request is
/// run by the leader while its owner waits, so no two threads use it at once.
final class GroupCommit: @unchecked Sendable {
    final class Request {
        /// Dropped by the batch as soon as it has run: it may hold a closure that must not
        /// outlive its writer's call (`withoutActuallyEscaping`).
        var work: ((Database) -> Void)?
        var done = false
        /// Set when this writer is to run the next batch.
        var leads = false
        var commitError: Error?
        let wake = Condition()

        init(_ work: @escaping (Database) -> Void) { self.work = work }
    }

    private let mutex = Lock()
    private var queue: [Request] = []
    private var leading = false

    /// Queues `request` and returns once its batch has committed (or failed to).
    /// `runBatch` runs a whole batch in one transaction; only one runs at a time.
    func submit(_ request: Request, runBatch: ([Request]) -> Void) {
        mutex.lock()
        queue.append(request)
        if leading {
            while !request.done && !request.leads { request.wake.wait(mutex) }
            if request.done {
                mutex.unlock()
                return
            }
        } else {
            leading = true
        }
        // This writer leads: its own request is in the queue it takes.
        let batch = queue
        queue.removeAll(keepingCapacity: true)
        mutex.unlock()
        runBatch(batch)
        mutex.lock()
        for finished in batch {
            finished.done = true
            if finished !== request { finished.wake.signal() }
        }
        if let next = queue.first {
            next.leads = true
            next.wake.signal()
        } else {
            leading = false
        }
        mutex.unlock()
    }
}
