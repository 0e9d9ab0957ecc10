import Glibc
import Synchronization

/// A small number for the calling thread, the same for its life: which of a journal's lanes it
/// records into. Numbers go in the order threads first ask (a server's event loops first).
enum ThreadLane {
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()
    private static let given = Atomic<Int>(0)

    static var current: Int {
        if let number = pthread_getspecific(key) { return Int(bitPattern: number) - 1 }
        let number = given.wrappingAdd(1, ordering: .relaxed).oldValue
        pthread_setspecific(key, UnsafeRawPointer(bitPattern: number + 1))
        return number
    }
}
