import Foundation
import Synchronization

/// `count` requests sent at the same moment, each on a connection of its own opened first:
/// threads held at one gate and let go together. Their statuses, sorted (-1: no answer).
public func burst(port: Int, count: Int = 20, _ send: @escaping @Sendable (TestClient) throws -> TestResponse)
    -> [Int]
{
    let statuses = Mutex<[Int]>([])
    let gate = DispatchGroup(), done = DispatchGroup()
    gate.enter()
    for _ in 0..<count {
        done.enter()
        Thread {
            let client = try? TestClient(port: port)
            gate.wait()
            let status = client.flatMap { try? send($0).status } ?? -1
            statuses.withLock { $0.append(status) }
            done.leave()
        }.start()
    }
    gate.leave()
    done.wait()
    return statuses.withLock { $0 }.sorted()
}
