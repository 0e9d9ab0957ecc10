#if canImport(Glibc)
import Glibc
#endif

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
        let wake: UnsafeMutablePointer<pthread_cond_t>

        init(_ work: @escaping (Database) -> Void) {
            self.work = work
            wake = .allocate(capacity: 1)
            wake.initialize(to: pthread_cond_t())
            pthread_cond_init(wake, nil)
        }

        deinit {
            pthread_cond_destroy(wake)
            wake.deallocate()
        }
    }

    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var queue: [Request] = []
    private var leading = false

    init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Queues `request` and returns once its batch has committed (or failed to).
    /// `runBatch` runs a whole batch in one transaction; only one runs at a time.
    func submit(_ request: Request, runBatch: ([Request]) -> Void) {
        pthread_mutex_lock(mutex)
        queue.append(request)
        if leading {
            while !request.done && !request.leads { pthread_cond_wait(request.wake, mutex) }
            if request.done {
                pthread_mutex_unlock(mutex)
                return
            }
        } else {
            leading = true
        }
        // This writer leads: its own request is in the queue it takes.
        let batch = queue
        queue.removeAll(keepingCapacity: true)
        pthread_mutex_unlock(mutex)
        runBatch(batch)
        pthread_mutex_lock(mutex)
        for finished in batch {
            finished.done = true
            if finished !== request { pthread_cond_signal(finished.wake) }
        }
        if let next = queue.first {
            next.leads = true
            pthread_cond_signal(next.wake)
        } else {
            leading = false
        }
        pthread_mutex_unlock(mutex)
    }
}
