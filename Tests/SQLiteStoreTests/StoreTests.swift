import Dispatch
import Foundation
import Synchronization
import Testing
@testable import SQLiteStore

@Suite struct StoreTests {
    @Test func concurrentWritersAllLand() throws {
        let store = try Store(path: ":memory:")
        try store.write { db in try db.execute("CREATE TABLE t (v INTEGER)") }
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for i in 0 ..< 100 {
                _ = try? store.write { db in try db.run("INSERT INTO t VALUES (?)", [worker * 1000 + i]) }
            }
        }
        #expect(try store.read { db in try db.queryOne("SELECT COUNT(*) FROM t")?[0].int } == 800)
    }

    /// A read that arrives while a write batch holds the writer runs beside it on the reader
    /// connection: it does not wait for the commit, sees the last committed state (not the
    /// batch's uncommitted rows), and cannot write.
    @Test func aReadDuringAWriteBatchSeesTheLastCommitWithoutWaiting() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("reader-\(UUID().uuidString).sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let store = try Store(path: path)
        try store.write { db in try db.execute("CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (1)") }
        let seen = Atomic<Int>(-1)
        let refused = Atomic<Bool>(false)
        try store.write { db in
            try db.run("INSERT INTO t VALUES (2)")
            let done = DispatchSemaphore(value: 0)
            DispatchQueue.global().async {
                seen.store((try? store.read { db in try db.queryOne("SELECT COUNT(*) FROM t")?[0].int }) ?? nil ?? -2, ordering: .relaxed)
                refused.store((try? store.read { db in try db.run("INSERT INTO t VALUES (3)") }) == nil, ordering: .relaxed)
                done.signal()
            }
            #expect(done.wait(timeout: .now() + 5) == .success, "the read waited for the write batch")
        }
        let count = seen.load(ordering: .relaxed), wasRefused = refused.load(ordering: .relaxed)
        #expect(count == 1)
        #expect(wasRefused)
        #expect(try store.read { db in try db.queryOne("SELECT COUNT(*) FROM t")?[0].int } == 2)
    }

    /// Regression: under a steady write load the WAL used to grow without end: the
    /// background checkpoint copied the frames it saw while writers appended more, so it never
    /// reached the last frame and SQLite never started the WAL over. Now, with writers running
    /// throughout, a checkpoint lets the next write start it over: the WAL's last frame
    /// number (in the wal-index header) is lower after it than before. (One checkpoint does
    /// here; on a machine loaded by other work the test gives it the timer's next few.)
    @Test func theWALStartsOverUnderASteadyWriteLoad() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("wal-\(UUID().uuidString).sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let store = try Store(path: path, checkpointEvery: nil)
        try store.write { db in try db.execute("CREATE TABLE t (v INTEGER)") }
        let stop = Atomic<Bool>(false), written = Atomic<Int>(0), afterCheckpoint = Atomic<Int>(0)
        let checkpointed = Atomic<Bool>(false)
        // Threads of their own, as connections have.
        let finished = DispatchSemaphore(value: 0)
        for _ in 0 ..< 4 {
            Thread {
                while !stop.load(ordering: .relaxed) {
                    _ = try? store.write { db in try db.run("INSERT INTO t VALUES (1)") }
                    written.add(1, ordering: .relaxed)
                    if checkpointed.load(ordering: .relaxed) { afterCheckpoint.add(1, ordering: .relaxed) }
                }
                finished.signal()
            }.start()
        }
        // mxFrame: a native-endian UInt32 at byte 16 of the wal-index header, in the -shm file.
        func lastFrame() -> Int {
            guard let header = FileManager.default.contents(atPath: path + "-shm"), header.count >= 20 else { return -1 }
            return Int(header[16 ..< 20].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) })
        }
        while written.load(ordering: .relaxed) < 3000 { Thread.sleep(forTimeInterval: 0.01) }
        let before = lastFrame()
        var after = Int.max
        for round in 1 ... 5 where after >= before {
            store.checkpointInBackground()
            checkpointed.store(true, ordering: .relaxed)
            while afterCheckpoint.load(ordering: .relaxed) < 100 * round { Thread.sleep(forTimeInterval: 0.01) }
            after = lastFrame()
        }
        stop.store(true, ordering: .relaxed)
        for _ in 0 ..< 4 { finished.wait() }
        #expect(before > 100)
        #expect(after >= 0 && after < before, "last frame \(before) before the checkpoint, \(after) after")
    }
}

@Suite struct GroupCommitTests {
    struct Boom: Error {}

    @Test func aWriterThatThrowsLeavesTheOthersStanding() throws {
        let store = try Store(path: ":memory:")
        try store.write { db in try db.execute("CREATE TABLE t (v INTEGER PRIMARY KEY)") }
        let failures = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for i in 0 ..< 50 {
                do {
                    try store.write { db in
                        try db.run("INSERT INTO t VALUES (?)", [worker * 1000 + i])
                        if i % 10 == 0 { throw Boom() }
                    }
                } catch {
                    failures.add(1, ordering: .relaxed)
                }
            }
        }
        #expect(failures.load(ordering: .relaxed) == 40)
        #expect(try store.read { db in try db.queryOne("SELECT COUNT(*) FROM t")?[0].int } == 360)
        #expect(try store.read { db in try db.queryOne("SELECT COUNT(*) FROM t WHERE v % 10 = 0 AND v % 1000 < 50")?[0].int } == 0)
    }

    /// What a writer asks to run after its commit runs once, after the commit, for each writer
    /// whose work landed; a writer that throws (alone, or in a batch with others) runs nothing.
    @Test func afterCommitRunsOnlyForWorkThatLanded() throws {
        let store = try Store(path: ":memory:")
        try store.write { db in try db.execute("CREATE TABLE t (v INTEGER PRIMARY KEY)") }
        let ran = Mutex<[Int]>([])
        let visible = Atomic<Bool>(true)
        try store.write { db in
            try db.run("INSERT INTO t VALUES (1)")
            db.afterCommit {
                let count = try? store.read { db in try db.queryOne("SELECT COUNT(*) FROM t")?[0].int }
                if count != 1 { visible.store(false, ordering: .relaxed) }
                ran.withLock { $0.append(1) }
            }
        }
        #expect(ran.withLock { $0 } == [1])
        let sawCommit = visible.load(ordering: .relaxed)
        #expect(sawCommit, "an after-commit action ran before the commit")
        _ = try? store.write { db in
            db.afterCommit { ran.withLock { $0.append(2) } }
            throw Boom()
        }
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for i in 0 ..< 50 {
                _ = try? store.write { db in
                    let v = 100 + worker * 100 + i
                    try db.run("INSERT INTO t VALUES (?)", [v])
                    db.afterCommit { ran.withLock { $0.append(v) } }
                    if i % 10 == 0 { throw Boom() }
                }
            }
        }
        let values = ran.withLock { $0 }
        #expect(values.count == 1 + 360)
        #expect(!values.contains(2) && !values.contains { $0 >= 100 && $0 % 10 == 0 })
        #expect(Set(values).count == values.count, "an action ran twice")
    }

    /// A writer alone in its batch that throws after writing leaves nothing behind, and the
    /// store takes the next write.
    @Test func aLoneWriterThatThrowsIsRolledBack() throws {
        let store = try Store(path: ":memory:")
        try store.write { db in try db.execute("CREATE TABLE t (v INTEGER PRIMARY KEY)") }
        #expect(throws: Boom.self) {
            try store.write { db in
                try db.run("INSERT INTO t VALUES (1)")
                throw Boom()
            }
        }
        #expect(try store.write { db in try db.run("INSERT INTO t VALUES (2)") } == 1)
        #expect(try store.read { db in try db.query("SELECT v FROM t").map { $0[0].int } } == [2])
    }

    @Test func aConstraintViolationFailsOnlyItsWriter() throws {
        let store = try Store(path: ":memory:")
        try store.write { db in try db.execute("CREATE TABLE t (v INTEGER PRIMARY KEY)") }
        try store.write { db in try db.run("INSERT INTO t VALUES (1)") }
        let outcomes = Mutex<[Bool]>([])
        DispatchQueue.concurrentPerform(iterations: 16) { i in
            let ok = (try? store.write { db in try db.run("INSERT INTO t VALUES (?)", [i % 2 == 0 ? 1 : 100 + i]) }) != nil
            outcomes.withLock { $0.append(ok) }
        }
        #expect(outcomes.withLock { $0.filter { $0 }.count } == 8)
        #expect(try store.read { db in try db.queryOne("SELECT COUNT(*) FROM t")?[0].int } == 9)
    }

    /// Awaited writes (resumed by the batch that ran them) and blocking ones share batches:
    /// each gets its own result, one that throws is undone alone, and each has committed
    /// when it returns.
    @Test func awaitedAndBlockingWritesShareBatches() async throws {
        let store = try Store(path: ":memory:")
        try await store.write { db in try db.execute("CREATE TABLE t (v INTEGER PRIMARY KEY)") }
        let blocking = Task.detached {
            DispatchQueue.concurrentPerform(iterations: 8) { worker in
                for i in 0 ..< 25 { _ = try? store.write { db in try db.run("INSERT INTO t VALUES (?)", [100_000 + worker * 1000 + i]) } }
            }
        }
        let results = try await withThrowingTaskGroup(of: Int?.self) { group -> [Int?] in
            for i in 0 ..< 200 {
                group.addTask {
                    do {
                        let value = try await store.write { db -> Int in
                            try db.run("INSERT INTO t VALUES (?)", [i])
                            if i % 10 == 0 { throw Boom() }
                            return i * 3
                        }
                        let committed = try store.read { db in try db.queryOne("SELECT COUNT(*) FROM t WHERE v = ?", [i])?[0].int }
                        #expect(committed == 1)
                        return value
                    } catch is Boom {
                        return nil
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        await blocking.value
        #expect(results.compactMap { $0 }.sorted() == (0 ..< 200).filter { $0 % 10 != 0 }.map { $0 * 3 })
        #expect(try store.read { db in try db.queryOne("SELECT COUNT(*) FROM t")?[0].int } == 180 + 200)
        #expect(try store.read { db in try db.queryOne("SELECT COUNT(*) FROM t WHERE v < 1000 AND v % 10 = 0")?[0].int } == 0)
    }

    @Test func writesReturnTheirOwnResults() throws {
        let store = try Store(path: ":memory:")
        try store.write { db in try db.execute("CREATE TABLE t (v INTEGER)") }
        let sums = Mutex<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 32) { i in
            let value = (try? store.write { db -> Int in
                try db.run("INSERT INTO t VALUES (?)", [i])
                return i * 2
            }) ?? -1000
            sums.withLock { $0 += value }
        }
        #expect(sums.withLock { $0 } == (0 ..< 32).reduce(0) { $0 + $1 * 2 })
    }
}
