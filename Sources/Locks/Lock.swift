#if canImport(Glibc)
import Glibc
#endif

/// A plain pthread mutex. Unlike `Synchronization.Mutex` it guards state that lives outside
/// it, so it can protect non-Sendable connections handed out and taken back (the store's).
///
/// It is also the faster lock under contention here: `Synchronization.Mutex` on Linux is a
/// priority-inheritance futex that sleeps in the kernel whenever it is contended, and a
/// journal behind one served 32 connections at half the rate of the same journal behind this.
///
/// `@unchecked Sendable`: a mutex is the synchronization itself.
public final class Lock: @unchecked Sendable {
    fileprivate let mutex: UnsafeMutablePointer<pthread_mutex_t>

    public init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    public func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Takes the lock if it is free; false (and not held) if someone else has it.
    public func tryLock() -> Bool { pthread_mutex_trylock(mutex) == 0 }
    public func lock() { pthread_mutex_lock(mutex) }
    public func unlock() { pthread_mutex_unlock(mutex) }
}

/// A value only reached under a `Lock`.
///
/// `@unchecked Sendable`: every access to `value` goes through the lock.
public final class Locked<Value>: @unchecked Sendable {
    private let lock = Lock()
    private var value: Value

    public init(_ value: Value) { self.value = value }

    public func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        try lock.withLock { try body(&value) }
    }
}
