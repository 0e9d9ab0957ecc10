import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Blocks until SIGINT or SIGTERM. The sources are made here, in a nonisolated
/// function, with `@Sendable` handlers (Dispatch on Linux traps otherwise).
enum SignalWaiter {
    static func waitForTermination() {
        let done = DispatchSemaphore(value: 0)
        var sources: [DispatchSourceSignal] = []
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { @Sendable in done.signal() }
            source.resume()
            sources.append(source)
        }
        done.wait()
        sources.forEach { $0.cancel() }
    }
}
