import HTTPServer
import SQLiteStore

/// The control plane's snapshots: take, restore, upload.
extension ControlPlane {
    func snapshot(_ request: HTTPRequest) throws -> HTTPResponse {
        let body = try request.controlPlaneJSON()
        guard let name = body["name"]?.stringValue else { throw ControlPlaneError.badRequest("name is required") }
        do {
            return .json(try sandbox.takeSnapshot(name), status: 201)
        } catch let error as SnapshotError {
            throw ControlPlaneError(error)
        }
    }

    func restore(_ request: HTTPRequest) throws -> HTTPResponse {
        let name = request.parameters["name"] ?? ""
        guard let bytes = sandbox.snapshots.bytes(name) else {
            throw ControlPlaneError.notFound("no snapshot '\(name)'")
        }
        let started = ContinuousClock.now
        do {
            try sandbox.restore(bytes: bytes)
        } catch let error as SnapshotError {
            throw ControlPlaneError(error)
        }
        let took = started.duration(to: .now)
        return .json(["restored": .string(name), "time": .string(context.clock.nowISO8601()),
            "took_ms": .number(
                String(
                    Double(took.components.attoseconds / 1_000_000_000_000 + took.components.seconds * 1_000_000) / 1000
                )),
        ])
    }

    /// A snapshot file from elsewhere: kept only once it is checked to be this sandbox's
    /// (an older schema is migrated); a bad one changes nothing.
    func upload(_ request: HTTPRequest) throws -> HTTPResponse {
        let name = request.parameters["name"] ?? ""
        do {
            try Snapshots.check(name)
            guard !sandbox.snapshots.exists(name) else {
                throw SnapshotError.exists("a snapshot '\(name)' exists already: delete it first")
            }
            let checked = try sandbox.checked(request.body)
            let bytes = try Store.serialize(checked)
            return .json(try sandbox.snapshots.save(name, bytes, now: context.clock.nowISO8601()), status: 201)
        } catch let error as SnapshotError {
            throw ControlPlaneError(error)
        }
    }
}
