#if canImport(Glibc)
import Glibc
#endif

/// The command `paysandbox run` wraps: started with its own environment and the signal mask
/// and dispositions of a fresh process (the sandbox blocks SIGINT and SIGTERM in every thread),
/// waited for while SIGINT and SIGTERM sent to `run` are passed on to it.
struct ChildProcess {
    let pid: pid_t

    /// Starts `arguments[0]`, looked up on `PATH`, or says why it cannot.
    static func spawn(_ arguments: [String], environment: [String: String]) -> Result<ChildProcess, SpawnError> {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGCHLD, SIGPIPE, SIGHUP, SIGQUIT] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        // posix_spawnp looks the command up on run's own PATH, which the command inherits.
        let status = posix_spawnp(&pid, arguments[0], nil, &attributes, argv, envp)
        guard status == 0 else { return .failure(SpawnError(command: arguments[0], code: status)) }
        return .success(ChildProcess(pid: pid))
    }

    struct SpawnError: Error, CustomStringConvertible {
        let command: String
        let code: Int32
        var description: String { "cannot run \(command): \(String(cString: strerror(code)))" }
    }

    /// Waits for the command to end, passing on SIGINT and SIGTERM (`run` holds them, and
    /// SIGCHLD, blocked). A signal a terminal sent reached the command's process group already,
    /// so only one sent to `run` alone (by `kill`) is passed on. Returns the exit status, or
    /// 128 + the signal that ended it, as a shell does.
    func wait() -> Int32 {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in [SIGINT, SIGTERM, SIGCHLD] { sigaddset(&set, signal) }
        while true {
            if let status = reap() { return status }
            var info = siginfo_t()
            let signal = sigwaitinfo(&set, &info)
            if signal == SIGINT || signal == SIGTERM, info.si_code == SI_USER {
                kill(pid, signal)
            }
        }
    }

    /// The exit status if the command has ended.
    private func reap() -> Int32? {
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        guard result == pid else { return result < 0 ? 1 : nil }
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }
}
