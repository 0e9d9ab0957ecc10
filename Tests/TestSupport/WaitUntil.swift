#if canImport(Glibc)
import Glibc
#endif

/// Asks `condition` every 10 ms until it holds or `seconds` have passed; answers whether it
/// held. For what happens beside the test (a callback sent, its attempt recorded, a process
/// started): the test then asserts on what it finds, however long it took.
@discardableResult
public func waitUntil(seconds: Double = 5, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while true {
        if try condition() { return true }
        if ContinuousClock.now >= deadline { return false }
        usleep(10_000)
    }
}
