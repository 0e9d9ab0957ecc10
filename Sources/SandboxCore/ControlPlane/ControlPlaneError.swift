import HTTPServer

/// The control plane's errors: `{"error": "..."}` with a fitting status (a provider's own
/// control routes answer with them too).
public enum ControlPlaneError: Error, HTTPResponseConvertible {
    case badRequest(String)
    case notFound(String)
    case conflict(String)
    case unauthorized(String)
    case forbidden(String)

    init(_ error: SnapshotError) {
        switch error {
        case .bad(let m): self = .badRequest(m)
        case .notFound(let m): self = .notFound(m)
        case .exists(let m): self = .conflict(m)
        }
    }

    public var response: HTTPResponse {
        switch self {
        case .unauthorized(let m):
            var response = HTTPResponse.json(["error": .string(m)], status: 401)
            response.headers.add("WWW-Authenticate", "Basic realm=\"PaySandbox\", charset=\"UTF-8\"")
            response.headers.add("WWW-Authenticate", "Bearer realm=\"PaySandbox\"")
            return response
        case .forbidden(let m): return .json(["error": .string(m)], status: 403)
        case .badRequest(let m): return .json(["error": .string(m)], status: 400)
        case .notFound(let m): return .json(["error": .string(m)], status: 404)
        case .conflict(let m): return .json(["error": .string(m)], status: 409)
        }
    }
}

extension HTTPRequest {
    /// The body as a JSON object, or a 400 naming what is wrong.
    public func controlPlaneJSON() throws(ControlPlaneError) -> JSON {
        let json: JSON
        do {
            json = try jsonBody()
        } catch {
            throw .badRequest("body must be JSON: \(error)")
        }
        guard case .object = json else { throw .badRequest("body must be a JSON object") }
        return json
    }

    /// A non-negative integer query parameter, with a default and a maximum.
    func queryInt(_ name: String, default value: Int, max: Int) throws(ControlPlaneError) -> Int {
        guard let text = query[name] else { return value }
        guard let v = Int(text), v >= 0 else { throw .badRequest("\(name) must be a non-negative integer") }
        return Swift.min(v, max)
    }
}
