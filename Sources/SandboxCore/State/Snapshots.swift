import Foundation
import HTTPServer
import SQLiteStore
import Locks

/// Named copies of the whole state (`/_sandbox/snapshots`): files beside the database
/// (`paysandbox.sqlite.snapshots/NAME.sqlite`), or kept in memory with `--db :memory:`.
public final class Snapshots: Sendable {
    struct Entry: Sendable {
        let name: String
        let createdAt: String
        let size: Int
        var json: JSON { ["name": .string(name), "created_at": .string(createdAt), "size_bytes": .int(size)] }
    }

    private let directory: String?
    private let memory = Locked<[String: (bytes: [UInt8], createdAt: String)]>([:])

    init(databasePath: String, inMemory: Bool) {
        directory = inMemory ? nil : databasePath + ".snapshots"
    }

    /// Letters, digits, `.`, `_`, `-`, 1 to 64, not starting with a dot: no path tricks.
    static func check(_ name: String) throws(SnapshotError) {
        let allowed = name.utf8.allSatisfy {
            ($0 >= 48 && $0 <= 57) || ($0 | 0x20 >= 97 && $0 | 0x20 <= 122) || $0 == 46 || $0 == 95 || $0 == 45
        }
        guard (1 ... 64).contains(name.utf8.count), allowed, !name.hasPrefix(".") else {
            throw SnapshotError.bad(
                "a snapshot name is 1 to 64 letters, digits, '.', '_' or '-', not starting with '.'")
        }
    }

    private func file(_ name: String) -> String? { directory.map { "\($0)/\(name).sqlite" } }

    func list() -> [JSON] {
        guard let directory else {
            return memory.withLock { $0 }.map {
                Entry(name: $0.key, createdAt: $0.value.createdAt, size: $0.value.bytes.count)
            }
                .sorted { $0.name < $1.name }.map(\.json)
        }
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter {
            $0.hasSuffix(".sqlite")
        }.sorted()
        return names.compactMap { entry(String($0.dropLast(7)))?.json }
    }

    /// Nil for an unknown name, or one that could name no snapshot (`../x` names no file here).
    private func entry(_ name: String) -> Entry? {
        guard (try? Snapshots.check(name)) != nil else { return nil }
        if directory == nil {
            return memory.withLock { $0[name] }.map { Entry(name: name, createdAt: $0.createdAt, size: $0.bytes.count) }
        }
        guard let path = file(name), let attributes = try? FileManager.default.attributesOfItem(atPath: path) else {
            return nil
        }
        let date = (attributes[.modificationDate] as? Date) ?? Date()
        let ms = Int64(date.timeIntervalSince1970 * 1000)
        return Entry(name: name, createdAt: Timestamp.iso8601(milliseconds: ms), size: (attributes[.size] as? Int) ?? 0)
    }

    func exists(_ name: String) -> Bool { entry(name) != nil }

    /// Keeps `bytes` under `name` (replacing nothing: the caller checked), written whole to a
    /// temporary file and renamed, so a crash leaves the old state or the new, never half.
    func save(_ name: String, _ bytes: [UInt8], now: String) throws -> JSON {
        guard let directory, let path = file(name) else {
            memory.withLock { $0[name] = (bytes, now) }
            return Entry(name: name, createdAt: now, size: bytes.count).json
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let temporary = path + ".partial"
        try Data(bytes).write(to: URL(fileURLWithPath: temporary))
        _ = rename(temporary, path)
        return entry(name)?.json ?? Entry(name: name, createdAt: now, size: bytes.count).json
    }

    /// The snapshot's bytes; nil for an unknown name, or one that could name no snapshot.
    func bytes(_ name: String) -> [UInt8]? {
        guard (try? Snapshots.check(name)) != nil else { return nil }
        guard let path = file(name) else { return memory.withLock { $0[name]?.bytes } }
        return (try? Data(contentsOf: URL(fileURLWithPath: path))).map { Array($0) }
    }

    func remove(_ name: String) -> Bool {
        guard (try? Snapshots.check(name)) != nil else { return false }
        guard let path = file(name) else { return memory.withLock { $0.removeValue(forKey: name) } != nil }
        return (try? FileManager.default.removeItem(atPath: path)) != nil
    }
}

public enum SnapshotError: Error, CustomStringConvertible, Sendable {
    case bad(String)
    case notFound(String)
    case exists(String)

    public var description: String {
        switch self {
        case .bad(let m), .notFound(let m), .exists(let m): return m
        }
    }
}
