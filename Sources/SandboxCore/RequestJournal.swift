import HTTPServer
import SQLiteStore
import Locks

/// The last N provider requests with their responses, newest first, so a test can see
/// exactly what its client sent. Kept in memory: it is a debugging aid, not state.
public final class RequestJournal: Sendable {
    struct Entry: Sendable {
        var seq = 0
        let at: Int64
        let provider: String
        let method: String
        let target: String
        let path: String
        let headers: HTTPHeaders
        let body: [UInt8]
        let status: Int
        let responseHeaders: HTTPHeaders
        let responseBody: [UInt8]
        let durationMicros: Int
        let fault: FaultMark?
    }

    private struct State {
        var entries: [Entry] = []
        var next = 0
        var seq = 0
    }

    public let capacity: Int
    private let state = Locked(State())
    static let bodyLimit = 16 * 1024

    public init(capacity: Int) { self.capacity = max(0, capacity) }

    func record(provider: String, request: HTTPRequest, response: HTTPResponse, duration: Duration, at: Int64) {
        guard capacity > 0 else { return }
        let micros = Int(duration.components.seconds * 1_000_000 + duration.components.attoseconds / 1_000_000_000_000)
        // Built outside the lock; the entry it replaces is released outside it too (freeing a
        // request's buffers under the lock had halved the throughput of 32 connections).
        var entry = Entry(
            at: at, provider: provider, method: request.method, target: request.target, path: request.path,
                          headers: request.headers, body: Self.bounded(request.body), status: response.status,
            responseHeaders: response.headers, responseBody: Self.bounded(response.body), durationMicros: micros,
                          fault: response.faultMark)
        let replaced: Entry? = state.withLock { state in
            state.seq += 1
            entry.seq = state.seq
            defer { state.next = (state.next + 1) % capacity }
            guard state.entries.count == capacity else {
                state.entries.append(entry)
                return nil
            }
            let old = state.entries[state.next]
            state.entries[state.next] = entry
            return old
        }
        _ = replaced
    }

    /// The body itself when small enough (shared, not copied), else its first 16 KiB.
    private static func bounded(_ body: [UInt8]) -> [UInt8] {
        body.count <= bodyLimit ? body : Array(body.prefix(bodyLimit))
    }

    func clear() { state.withLock { $0 = State() } }

    struct Filter {
        var provider: String?
        var method: String?
        var path: String?
        /// Text the target, the request body or the response body contains (a payment id),
        /// matched on the stored bytes before anything is decoded.
        var mentioning: String?
        var limit = 100
    }

    func list(_ filter: Filter) -> [JSON] {
        let entries = state.withLock { $0.entries }.sorted { $0.seq > $1.seq }
        let needle = filter.mentioning.map { Array($0.utf8) }
        return entries.lazy.filter { e in
            (filter.provider == nil || e.provider == filter.provider)
                && (filter.method == nil || e.method.equalsIgnoringASCIICase(filter.method ?? ""))
                && (filter.path == nil || e.path.contains(filter.path ?? "") || e.target.contains(filter.path ?? ""))
                && (needle.map { n in e.target.utf8.firstRange(of: n) != nil || e.body.firstRange(of: n) != nil
                        || e.responseBody.firstRange(of: n) != nil } ?? true)
        }.prefix(filter.limit).map(Self.json)
    }

    private static func json(_ e: Entry) -> JSON {
        func body(_ bytes: [UInt8], _ headers: HTTPHeaders) -> JSON {
            let type = headers["Content-Type"] ?? ""
            if type.contains("json"), let parsed = try? JSON.parse(bytes) { return parsed }
            return .string(String(decoding: bytes, as: UTF8.self))
        }
        return [
            "id": .int(e.seq),
            "at": .string(Timestamp.iso8601(milliseconds: e.at)),
            "provider": .string(e.provider),
            "method": .string(e.method),
            "path": .string(e.path),
            "target": .string(e.target),
            "headers": .array(e.headers.map { .array([.string($0.name), .string($0.value)]) }),
            "body": body(e.body, e.headers),
            "status": .int(e.status),
            "response": [
                "headers": .array(e.responseHeaders.map { .array([.string($0.name), .string($0.value)]) }),
                "body": body(e.responseBody, e.responseHeaders),
            ],
            "duration_ms": .number(String(Double(e.durationMicros) / 1000)),
            "fault": e.fault.map { ["id": $0.rule.map(JSON.int) ?? .null, "kind": .string($0.kind)] } ?? .null,
        ]
    }
}
