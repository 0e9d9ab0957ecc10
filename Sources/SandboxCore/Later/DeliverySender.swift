import Foundation
import Synchronization
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Sends one delivery over HTTP(S) with URLSession and reports the attempt. The session
/// (and libcurl behind it) is made on the first delivery, so a sandbox that sends none
/// starts faster and idles smaller.
final class DeliverySender: Sendable {
    private enum State {
        case idle
        case open(URLSession)
        /// Invalidated: a task asked of the session now would trap ("Session invalidated").
        case closed
    }

    private let state = Mutex<State>(.idle)
    private let policy: DeliveryPolicy

    init(policy: DeliveryPolicy) {
        self.policy = policy
    }

    /// The session, made on first use; nil once the sender is invalidated.
    private var session: URLSession? {
        state.withLock { state in
            switch state {
            case .open(let session): return session
            case .closed: return nil
            case .idle:
                let session = Self.makeSession(policy)
                state = .open(session)
                return session
            }
        }
    }

    private static func makeSession(_ policy: DeliveryPolicy) -> URLSession {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = policy.timeoutSeconds
        configuration.timeoutIntervalForResource = policy.timeoutSeconds * 2
        configuration.httpMaximumConnectionsPerHost = 8
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        configuration.httpCookieStorage = nil
        return URLSession(configuration: configuration)
    }

    /// Cancels what is in flight and releases the session. Not from deinit: the last
    /// reference may go away inside one of the session's own callbacks.
    func invalidate() {
        state.withLock { state in
            if case .open(let session) = state { session.invalidateAndCancel() }
            state = .closed
        }
    }

    /// Sends `row` and reports the attempt to `completion`; false, with nothing sent and no
    /// report, once the sender is invalidated (a scheduler tick racing its stop).
    func send(_ row: DeliveryRow, completion: @escaping @Sendable (AttemptResult) -> Void) -> Bool {
        guard let url = URL(string: row.url), let scheme = url.scheme?.lowercased(),
            scheme == "http" || scheme == "https",
              let host = url.host else {
            completion(
                AttemptResult(
                    statusCode: nil, error: "invalid URL \(row.url)", durationMs: 0, response: nil, permanent: true))
            return true
        }
        if !policy.allowedHosts.isEmpty {
            let port = url.port ?? (scheme == "https" ? 443 : 80)
            let allowed = policy.allowedHosts.contains { entry in
                entry.lowercased() == host.lowercased() || entry.lowercased() == "\(host.lowercased()):\(port)"
            }
            if !allowed {
                completion(AttemptResult(statusCode: nil, error: "\(host):\(port) is not in --callback-allow",
                                         durationMs: 0, response: nil, permanent: true))
                return true
            }
        }
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.httpBody = Data(row.body)
        request.setValue(row.contentType, forHTTPHeaderField: "Content-Type")
        request.setValue(String(row.id), forHTTPHeaderField: "X-PaySandbox-Delivery")
        request.setValue("PaySandbox", forHTTPHeaderField: "User-Agent")
        guard let session else { return false }
        let started = ContinuousClock.now
        let startedWall = SandboxClock.systemMilliseconds()
        let task = session.dataTask(with: request) { data, response, error in
            let elapsed = started.duration(to: .now)
            let ms = Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
            let snippet = data.map { String(decoding: $0.prefix(1024), as: UTF8.self) }
            var result = AttemptResult(
                statusCode: (response as? HTTPURLResponse)?.statusCode,
                error: response is HTTPURLResponse ? nil : error.map { "\($0.localizedDescription)" } ?? "no response",
                durationMs: ms, response: snippet)
            result.startedWall = startedWall
            completion(result)
        }
        task.resume()
        return true
    }
}
