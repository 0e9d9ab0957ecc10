#if canImport(Glibc)
import Glibc
#endif

/// A value only reached under a plain pthread mutex.
///
/// The faster lock under contention here: `Synchronization.Mutex` on Linux is a
/// priority-inheritance futex that sleeps in the kernel whenever it is contended, and a
/// journal behind one served 32 connections at half the rate of the same journal behind this.
///
/// `@unchecked Sendable`: every access to `value` goes through the mutex.
final class Locked<Value>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    init(_ value: Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
