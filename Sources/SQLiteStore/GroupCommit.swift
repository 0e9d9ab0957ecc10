#if canImport(Glibc)
import Glibc
#endif

/// Group commit: writers that arrive while a transaction is running wait, and the first of
/// them then runs all of their work in one transaction, each piece in a savepoint of its
/// own, and one COMMIT answers them all. A piece that throws is undone alone; a COMMIT that
/// fails fails every piece of the batch. Nobody is answered before their commit.
///
/// `@unchecked Sendable`: `queue` and `leading` are only touched under `mutex`; a request is
/// run by the leader while its owner waits for `done`, so no two threads use it at once.
final class GroupCommit: @unchecked Sendable {
    final class Request {
        /// Dropped by the batch as soon as it has run: it may hold a closure that must not
        /// outlive its writer's call (`withoutActuallyEscaping`).
        var work: ((Database) -> Void)?
        var done = false
        var commitError: Error?

        init(_ work: @escaping (Database) -> Void) { self.work = work }
    }

    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    private var queue: [Request] = []
    private var leading = false

    init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        condition = .allocate(capacity: 1)
        condition.initialize(to: pthread_cond_t())
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Queues `request` and returns once its batch has committed (or failed to).
    /// `runBatch` runs a whole batch in one transaction; only one runs at a time.
    func submit(_ request: Request, runBatch: ([Request]) -> Void) {
        pthread_mutex_lock(mutex)
        queue.append(request)
        while !request.done {
            if leading {
                pthread_cond_wait(condition, mutex)
                continue
            }
            leading = true
            let batch = queue
            queue.removeAll(keepingCapacity: true)
            pthread_mutex_unlock(mutex)
            runBatch(batch)
            pthread_mutex_lock(mutex)
            for finished in batch { finished.done = true }
            leading = false
            pthread_cond_broadcast(condition)
        }
        pthread_mutex_unlock(mutex)
    }
}
