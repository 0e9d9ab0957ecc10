import HTTPServer

/// The `/_sandbox/` control plane on the main port.
struct ControlPlane: Sendable {
    let sandbox: Sandbox

    func routes() -> Router {
        var router = Router()
        router.get("/health") { _ in try health() }
        router.post("/reset") { _ in
            try sandbox.reset()
            return .json(["status": "reset", "time": .string(sandbox.context.clock.nowISO8601())])
        }
        return router
    }

    private func health() throws -> HTTPResponse {
        let accounts = try sandbox.store.read { db in try db.queryOne("SELECT COUNT(*) FROM accounts")?[0].int ?? 0 }
        return .json([
            "status": "ok",
            "time": .string(sandbox.context.clock.nowISO8601()),
            "database": .string(sandbox.store.path),
            "accounts": .int(accounts),
            "providers": .array(sandbox.providers.map { .string($0.key) }),
            "uptime_ms": .int(SandboxClock.systemMilliseconds() - sandbox.startedAt),
        ])
    }
}
