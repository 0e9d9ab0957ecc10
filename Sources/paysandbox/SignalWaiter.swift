#if canImport(Glibc)
import Glibc
#endif

/// SIGINT and SIGTERM, taken synchronously: `block()` first thing (every thread started
/// after it inherits the mask, so no signal is lost or delivered elsewhere), then
/// `waitForTermination()` once the server is up. A signal that arrives in between stays
/// pending and is taken by the wait. SIGCHLD is held too, for `paysandbox run` to wait for its
/// command with `sigwaitinfo` (left unblocked in a thread, it would be discarded there).
enum SignalWaiter {
    private static func terminationSet() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        return set
    }

    static func block() {
        var set = terminationSet()
        sigaddset(&set, SIGCHLD)
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Returns the signal that arrived.
    @discardableResult
    static func waitForTermination() -> Int32 {
        var set = terminationSet()
        var received: Int32 = 0
        while sigwait(&set, &received) != 0 {}
        return received
    }
}
