#if canImport(Glibc)
import Glibc
#endif

/// The store's pthread mutex, around its writer and reader connections. Unlike
/// `Synchronization.Mutex` it guards state that lives outside it, so it can protect
/// non-Sendable connections handed out and taken back; and it is the faster lock under
/// contention (see SandboxCore's `Locked`).
///
/// `@unchecked Sendable`: a mutex is the synchronization itself.
final class Lock: @unchecked Sendable {
    fileprivate let mutex: UnsafeMutablePointer<pthread_mutex_t>

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

    /// Takes the lock if it is free; false (and not held) if someone else has it.
    func tryLock() -> Bool { pthread_mutex_trylock(mutex) == 0 }
    func lock() { pthread_mutex_lock(mutex) }
    func unlock() { pthread_mutex_unlock(mutex) }
}
