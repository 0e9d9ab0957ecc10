import Dispatch

/// Group commit: writers that arrive while a transaction is running wait, and the first of
/// them then runs all of their work in one transaction, each piece in a savepoint of its
/// own, and one COMMIT answers them all. A piece that throws is undone alone; a COMMIT that
/// fails fails every piece of the batch. Nobody is answered before their commit.
///
/// Each waiting writer sleeps on a semaphore of its own and is woken once: when its batch
/// has committed, or when it is to lead the next batch. The leader wakes them after letting
/// go of the queue's lock, so a woken writer takes no lock at all to return. (Waking them with
/// a condition variable under that lock had cost about six futex calls per write at 32
/// connections: each woken writer fought the leader and the newcomers for the lock.)
///
/// `@unchecked Sendable`: `queue` and `leading` are only touched under `mutex`; a request's
/// fields are written by the leader before its semaphore is signalled and read by its owner
/// after the wait returns; a request is run by the leader while its owner waits.
final class GroupCommit: @unchecked Sendable {
    final class Request {
        /// Dropped by the batch as soon as it has run: it may hold a closure that must not
        /// outlive its writer's call (`withoutActuallyEscaping`).
        var work: ((Database) -> Void)?
        var done = false
        var commitError: Error?
        let wake = DispatchSemaphore(value: 0)

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
            mutex.unlock()
            // Woken once: done, or (not done) to lead the next batch.
            request.wake.wait()
            if request.done { return }
            mutex.lock()
        } else {
            leading = true
        }
        // This writer leads: its own request is in the queue it takes.
        let batch = queue
        queue.removeAll(keepingCapacity: true)
        mutex.unlock()
        runBatch(batch)
        mutex.lock()
        let next = queue.first
        if next == nil { leading = false }
        mutex.unlock()
        // The next leader first: the store's one writer is what everyone waits for.
        next?.wake.signal()
        for finished in batch where finished !== request {
            finished.done = true
            finished.wake.signal()
        }
    }
}
