import Dispatch
import HTTPServer
import SQLiteStore
import Locks

/// Resets on a timer (`--reset-every 24h`): to the fixtures' state (or the default one), or to
/// a snapshot (`--reset-to NAME`). It runs on wall-clock time, not the sandbox clock that
/// tests move, so that a public demo comes back clean every night whatever visitors did.
public final class ResetSchedule: Sendable {
    /// Milliseconds between resets.
    public let interval: Int64
    /// The snapshot each reset restores; nil for a reset.
    public let snapshot: String?
    private let next = Locked<Int64>(0)
    private let queue = DispatchQueue(label: "paysandbox.resets")

    public init(interval: Int64, snapshot: String?) {
        self.interval = interval
        self.snapshot = snapshot
    }

    /// When the next reset is due (ms since 1970, wall clock).
    public var nextDue: Int64 { next.withLock { $0 } }

    /// "24h", "90m", "1h30m", "45s", "2d" as milliseconds; nil when it is none of those or
    /// under a second.
    public static func milliseconds(_ text: String) -> Int64? {
        let units: [Character: Int64] = ["s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000]
        var total: Int64 = 0
        var digits = ""
        for character in text {
            if character.isASCII && character.isNumber {
                digits.append(character)
            } else if let unit = units[character], let value = Int64(digits), value <= 100_000 {
                total += value * unit
                digits = ""
            } else {
                return nil
            }
        }
        return digits.isEmpty && total >= 1000 ? total : nil
    }

    /// Starts the timer: the first reset one interval from now.
    func start(_ sandbox: Sandbox) {
        schedule(sandbox)
    }

    private func schedule(_ sandbox: Sandbox) {
        let due = SandboxClock.systemMilliseconds() + interval
        next.withLock { $0 = due }
        queue.asyncAfter(deadline: .now() + .milliseconds(Int(interval))) { [weak sandbox, self] in
            guard let sandbox else { return }
            run(sandbox)
            schedule(sandbox)
        }
    }

    private func run(_ sandbox: Sandbox) {
        let logger = sandbox.context.logger
        do {
            if let snapshot {
                guard let bytes = sandbox.snapshots.bytes(snapshot) else {
                    throw SnapshotError.notFound("no snapshot '\(snapshot)' (deleted since the start?)")
                }
                try sandbox.restore(bytes: bytes)
                logger.log(.warning, "scheduled reset: restored snapshot '\(snapshot)'")
            } else {
                try sandbox.reset()
                logger.log(.warning, "scheduled reset: done")
            }
        } catch {
            logger.error("scheduled reset failed: \(error)")
        }
    }
}
