import HTTPServer
import Synchronization

/// Callbacks and webhooks caught for someone trying the sandbox without an app of their own
/// (`/_sandbox/inbox/{name}`): whatever is posted there is answered at once, 200 or the
/// `?status=` asked for, and kept in memory, the last 100 per inbox in at most 50 inboxes
/// (the one least recently posted to goes first), until a reset or a restart.
public final class Inbox: Sendable {
    static let perInbox = 100
    static let inboxes = 50

    struct Entry: Sendable {
        let id: Int
        let at: String
        let method: String
        let target: String
        let headers: HTTPHeaders
        let body: [UInt8]
        let status: Int

        var json: JSON {
            var fields: [(String, JSON)] = [
                ("id", .int(id)), ("at", .string(at)), ("method", .string(method)), ("target", .string(target)),
                ("answered", .int(status)),
                ("headers", .array(headers.map { .array([.string($0.name), .string($0.value)]) })),
                ("body", .string(String(decoding: body, as: UTF8.self))),
            ]
            if let json = try? JSON.parse(body) { fields.append(("json", json)) }
            return .object(fields)
        }
    }

    private struct State {
        var nextID = 1
        /// Least recently posted to first.
        var boxes: [(name: String, entries: [Entry])] = []
    }

    private let state = Mutex(State())

    init() {}

    /// A name the inbox takes: 1 to 64 letters, digits, `.`, `_` or `-`.
    static func isName(_ name: String) -> Bool {
        (1 ... 64).contains(name.utf8.count)
            && name.unicodeScalars.allSatisfy { c in
                c.isASCII
                    && (c.properties.isAlphabetic || ("0" ... "9").contains(c) || c == "." || c == "_" || c == "-")
            }
    }

    func receive(_ name: String, _ request: HTTPRequest, status: Int, at: String) -> Entry {
        state.withLock { state in
            let entry = Entry(id: state.nextID, at: at, method: request.method, target: request.target,
                              headers: request.headers, body: request.body, status: status)
            state.nextID += 1
            var entries = state.boxes.firstIndex { $0.name == name }.map { state.boxes.remove(at: $0).entries } ?? []
            entries.append(entry)
            if entries.count > Self.perInbox { entries.removeFirst(entries.count - Self.perInbox) }
            state.boxes.append((name, entries))
            if state.boxes.count > Self.inboxes { state.boxes.removeFirst(state.boxes.count - Self.inboxes) }
            return entry
        }
    }

    /// Oldest first; empty for an inbox nothing was posted to.
    func entries(_ name: String) -> [Entry] {
        state.withLock { $0.boxes.first { $0.name == name }?.entries ?? [] }
    }

    /// The newest entries of every inbox, newest first, with their inbox's name.
    func latest(_ limit: Int) -> [(name: String, entry: Entry)] {
        let all = state.withLock { state in state.boxes.flatMap { box in box.entries.map { (box.name, $0) } } }
        return Array(all.sorted { $0.1.id > $1.1.id }.prefix(limit))
    }

    func clear(_ name: String?) {
        state.withLock { state in
            if let name { state.boxes.removeAll { $0.name == name } } else { state.boxes.removeAll() }
        }
    }
}
