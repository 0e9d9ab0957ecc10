#if canImport(Glibc)
import Glibc
#endif

/// A plain pthread mutex. Unlike `Synchronization.Mutex` it guards state that lives
/// outside it, so it can protect non-Sendable connections handed out and taken back.
///
/// `@unchecked Sendable`: a mutex is the synchronization itself.
final class Lock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}
