import HTTPServer

/// The Content-Type header of a form body.
public let formType = ("Content-Type", "application/x-www-form-urlencoded")

/// `fields` percent-encoded as a form body.
public func form(_ fields: [(String, String)]) -> [UInt8] {
    Array(fields.map { "\(PercentDecoding.encode($0.0))=\(PercentDecoding.encode($0.1))" }.joined(separator: "&").utf8)
}

/// A Basic Authorization header.
public func basic(_ user: String, _ password: String) -> (String, String) {
    ("Authorization", "Basic " + Base64.encode(Array("\(user):\(password)".utf8)))
}

extension TestClient {
    /// Moves the sandbox clock on by `seconds` (`POST /_sandbox/clock/advance`).
    @discardableResult
    public func advance(_ seconds: Int) throws -> TestResponse {
        try request("POST", "/_sandbox/clock/advance", json: ["seconds": .int(seconds)])
    }

    /// A Project CX bearer token of the default account 1.
    public func projectCXToken(username: String = "sandbox", password: String = "sandbox-secret") throws -> String {
        try request("POST", "/projectcx/rest2/login", json: ["username": .string(username), "password": .string(password)])
            .json["auth_token"]?.stringValue ?? ""
    }
}
