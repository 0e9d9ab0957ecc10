import Foundation
import Synchronization

/// Threads that send requests in a loop until stopped, counting what they sent: a test waits
/// for the count to move (the load has begun, a write landed since) and joins the threads,
/// instead of sleeping and hoping.
public final class Load: Sendable {
    private let stopped = Atomic<Bool>(false)
    private let sent = Atomic<Int>(0)
    private let finished = DispatchGroup()

    /// Starts `threads` threads, each with a connection of its own, each calling `send` until `stop()`.
    public init(port: Int, threads: Int = 1, _ send: @escaping @Sendable (TestClient) -> Void) {
        for _ in 0 ..< threads {
            finished.enter()
            Thread { [self] in
                defer { finished.leave() }
                guard let client = try? TestClient(port: port) else { return }
                while !stopped.load(ordering: .relaxed) {
                    send(client)
                    sent.add(1, ordering: .relaxed)
                }
            }.start()
        }
    }

    /// Requests answered so far.
    public var count: Int { sent.load(ordering: .relaxed) }

    /// Waits until `more` requests have been answered after this call (false: not within 10 s).
    @discardableResult
    public func waitFor(_ more: Int = 1) -> Bool {
        let target = count + more
        return waitUntil(seconds: 10) { count >= target }
    }

    /// Stops the threads and waits until each has answered its last request.
    public func stop() {
        stopped.store(true, ordering: .relaxed)
        finished.wait()
    }
}
