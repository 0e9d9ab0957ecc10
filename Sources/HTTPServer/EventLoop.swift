#if canImport(Glibc)
import Glibc
#endif
import CEpoll
import Dispatch
import Synchronization

/// One epoll instance and the thread that waits on it: it reads every connection it was
/// given, answers the routes that only read on the spot, and runs the routes that write
/// (`AsyncHandler`: they await their group commit) as tasks on itself (it is their
/// `TaskExecutor`); what would block a thread is awaited on the `WorkerPool` (`onWorker`). A
/// thread per connection had cost a context switch per request, a quarter of a cheap GET's
/// time; a worker per creating POST, three context switches and four futex calls.
///
/// Each socket is armed one-shot: a readiness event disarms it, so a connection belongs to
/// one thread at a time (the loop, then perhaps a task on it) until that thread arms it again.
/// The loop also closes what has waited too long: idle keep-alive connections, requests
/// that do not arrive whole in time (408), clients that do not read their responses.
///
/// `@unchecked Sendable`: `connections` and `buffer` are the loop thread's alone; the rest is
/// a Mutex, descriptors and the kernel's own synchronization.
final class EventLoop: TaskExecutor, @unchecked Sendable {
    let server: HTTPServer
    private let epoll: Int32
    private let wakeFD: Int32
    /// Connections accepted on other threads, not yet registered; `nil` once the loop ended.
    private let incoming = Mutex<[Connection]?>([])
    private var connections: [Int32: Connection] = [:]
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
    private let sweepInterval: Duration
    /// Jobs of the tasks that answer this loop's connections (`AsyncHandler`s), run between
    /// epoll rounds.
    private let jobs = Mutex<[UnownedJob]>([])
    /// In (or about to enter) `epoll_wait`: a job enqueued now must wake the loop.
    private let sleeping = Atomic<Bool>(false)

    init(server: HTTPServer) throws {
        self.server = server
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epoll >= 0 else { throw SocketError("epoll_create1") }
        wakeFD = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        guard wakeFD >= 0 else {
            Glibc.close(epoll)
            throw SocketError("eventfd")
        }
        EventLoop.control(epoll, EPOLL_CTL_ADD, wakeFD, EPOLLIN.rawValue)
        let configuration = server.configuration
        let seconds = max(0.01, min(0.25, min(configuration.requestTimeout, configuration.keepAliveTimeout) / 4))
        sweepInterval = .milliseconds(Int(seconds * 1000))
    }

    /// The descriptors close here, once nothing can call `wake` any more: closed when the
    /// loop ended, a `wake` from `stop` (or a job's) that came just after wrote its 8 bytes
    /// into whatever the number had been given to next (a client's socket, in the tests).
    deinit {
        Glibc.close(epoll)
        Glibc.close(wakeFD)
        buffer.deallocate()
    }

    /// Whether the calling thread is an event loop's: what runs here must not block (a
    /// store holds its blocking writes to this; see `Router`).
    static var isCurrentThread: Bool { pthread_getspecific(threadKey) != nil }

    private static let threadKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    private static func markCurrentThread() {
        pthread_setspecific(threadKey, UnsafeRawPointer(bitPattern: 1))
    }

    /// Starts the loop's thread (handlers run on it: a worker's stack size).
    func start() throws {
        try spawnThread(stackSize: 1024 * 1024) { [self] in run() }
    }

    /// From an accept thread: the loop registers it and serves it. False when the loop has
    /// ended (the server stopped); the caller closes the connection.
    func add(_ connection: Connection) -> Bool {
        let added = incoming.withLock { pending -> Bool in
            guard pending != nil else { return false }
            pending?.append(connection)
            return true
        }
        if added { wake() }
        return added
    }

    /// Runs `body` in a task on this loop: its code runs here, between epoll rounds, and
    /// while it awaits the loop serves its other connections.
    func run(_ body: @escaping @Sendable () async -> Void) {
        Task(executorPreference: self) { await body() }
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        jobs.withLock { $0.append(job) }
        if sleeping.load(ordering: .sequentiallyConsistent) { wake() }
    }

    private func runJobs() {
        while true {
            let ready = jobs.withLock { jobs -> [UnownedJob] in
                defer { jobs = [] }
                return jobs
            }
            if ready.isEmpty { return }
            for job in ready { job.runSynchronously(on: asUnownedTaskExecutor()) }
        }
    }

    func wake() {
        var one: UInt64 = 1
        _ = Glibc.write(wakeFD, &one, 8)
    }

    /// Arms a connection's socket for one event: input, or room for output. Called by the
    /// thread that owns the connection, as the last thing it does with it.
    func arm(_ fd: Int32, forOutput: Bool) {
        EventLoop.control(
            epoll, EPOLL_CTL_MOD, fd, (forOutput ? EPOLLOUT.rawValue : EPOLLIN.rawValue) | EPOLLONESHOT.rawValue)
    }

    /// `epoll_ctl` on `fd`, which is also the event's data.
    @discardableResult
    private static func control(_ epoll: Int32, _ operation: Int32, _ fd: Int32, _ events: UInt32) -> Int32 {
        var event = epoll_event()
        event.events = events
        event.data.fd = fd
        return epoll_ctl(epoll, operation, fd, &event)
    }

    private func run() {
        EventLoop.markCurrentThread()
        var events = [epoll_event](repeating: epoll_event(), count: 256)
        var lastSweep = ContinuousClock.now
        let timeout = Int32(
            sweepInterval.components.seconds * 1000 + sweepInterval.components.attoseconds / 1_000_000_000_000_000)
        while true {
            sleeping.store(true, ordering: .sequentiallyConsistent)
            let idle = jobs.withLock { $0.isEmpty }
            let count = epoll_wait(epoll, &events, Int32(events.count), idle ? max(1, timeout) : 0)
            sleeping.store(false, ordering: .sequentiallyConsistent)
            if count < 0 && errno != EINTR {
                server.configuration.logger.error("\(SocketError("epoll_wait"))")
                break
            }
            for index in 0 ..< max(0, Int(count)) {
                let fd = events[index].data.fd
                if fd == wakeFD {
                    var value: UInt64 = 0
                    _ = Glibc.read(wakeFD, &value, 8)
                    continue
                }
                guard let connection = connections[fd], connection.take() else { continue }
                connection.ready(buffer: buffer)
            }
            runJobs()
            adoptIncoming()
            let now = ContinuousClock.now
            if now - lastSweep >= sweepInterval || server.isStopping {
                lastSweep = now
                sweep(now: now)
            }
            if server.isStopping && connections.isEmpty && closeIfIdle() { break }
        }
    }

    private func adoptIncoming() {
        let adopted = incoming.withLock { pending -> [Connection] in
            defer { pending = [] }
            return pending ?? []
        }
        for connection in adopted {
            connections[connection.socket.fd] = connection
            if EventLoop.control(epoll, EPOLL_CTL_ADD, connection.socket.fd, EPOLLIN.rawValue | EPOLLONESHOT.rawValue)
                != 0
            {
                server.configuration.logger.error("\(SocketError("epoll_ctl"))")
                _ = connection.take()
                connection.close()
            }
        }
    }

    /// Ends the loop when nothing arrived meanwhile (under the same lock `add` takes).
    private func closeIfIdle() -> Bool {
        incoming.withLock { pending -> Bool in
            guard pending?.isEmpty ?? true else { return false }
            pending = nil
            return true
        }
    }

    /// Forgets closed connections and applies the deadlines to those waiting in epoll.
    private func sweep(now: ContinuousClock.Instant) {
        for (fd, connection) in connections {
            if connection.isClosed {
                connections[fd] = nil
                continue
            }
            connection.checkDeadlines(now: now, stopping: server.isStopping)
            if connection.isClosed { connections[fd] = nil }
        }
    }
}

/// Threads for work that may block (`onWorker`): one per job in flight, made when none is
/// free, up to `limit`; a thread idle for 30 s ends.
final class WorkerPool: Sendable {
    /// The process's pool: what blocks is rare (the control plane's whole-state calls).
    static let shared = WorkerPool(limit: 64)

    private struct State {
        var jobs: [@Sendable () -> Void] = []
        var threads = 0
        var idle = 0
    }

    private let state = Mutex(State())
    private let ready = DispatchSemaphore(value: 0)
    private let limit: Int

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    func submit(_ job: @escaping @Sendable () -> Void) {
        let spawn = state.withLock { state -> Bool in
            state.jobs.append(job)
            guard state.jobs.count > state.idle, state.threads < limit else { return false }
            state.threads += 1
            return true
        }
        if spawn {
            do {
                try spawnThread { [self] in work() }
            } catch {
                // No thread to be had: the job runs on the caller's (blocking it, not losing it).
                let job = state.withLock { state -> (@Sendable () -> Void)? in
                    state.threads -= 1
                    return state.jobs.isEmpty ? nil : state.jobs.removeLast()
                }
                job?()
                return
            }
        }
        ready.signal()
    }

    private func work() {
        while true {
            state.withLock { $0.idle += 1 }
            let signalled = ready.wait(timeout: .now() + 30) == .success
            let job = state.withLock { state -> (@Sendable () -> Void)?? in
                state.idle -= 1
                if !state.jobs.isEmpty && (signalled || state.jobs.count > state.idle) {
                    // A timed-out worker stays for a job no waiting worker will take.
                    return signalled ? state.jobs.removeFirst() : .some(nil)
                }
                if signalled { return .some(nil) }
                state.threads -= 1
                return nil
            }
            guard let job else { return }
            job?()
        }
    }
}

/// Runs `body`, which may block its thread (a whole-state reset or restore, a blocking
/// write), on a worker thread, and awaits it: the event loop serves others meanwhile.
public func onWorker<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        WorkerPool.shared.submit { continuation.resume(with: Result { try body() }) }
    }
}
