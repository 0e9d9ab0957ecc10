import Crypto
import Foundation
import HTTPServer
import SQLiteStore
import SandboxCore

/// The merchant JWT: HS256 (swift-crypto's HMAC), payload `{"id", "realm": "merchant_key",
/// "iat", "exp"}`, signed with a secret made at seeding (so a reset invalidates every token).
enum PaytomatJWT {
    static let lifetimeSeconds: Int64 = 24 * 3600
    static let secretKey = "paytomat_jwt_secret"

    static func seedSecret(_ db: Database, context: ProviderContext) throws {
        try SandboxContext.keep(db, secretKey, context.ids.hex(32))
    }

    static func secret(_ context: ProviderContext) throws -> SymmetricKey? {
        try context.sandbox.kept(secretKey).map { SymmetricKey(data: Data($0.utf8)) }
    }

    static func sign(merchant: Int, context: ProviderContext) throws -> String {
        guard let key = try secret(context) else { throw PaytomatError.unauthorized("Token signing is not set up") }
        let now = context.clock.nowMilliseconds() / 1000
        let header = Base64.encode(Array(#"{"alg":"HS256"}"#.utf8), urlSafe: true, padded: false)
        let payload: JSON = [
            "id": .int(merchant), "realm": "merchant_key", "iat": .int(now), "exp": .int(now + lifetimeSeconds),
        ]
        let body = header + "." + Base64.encode(payload.serializedBytes(), urlSafe: true, padded: false)
        let mac = HMAC<SHA256>.authenticationCode(for: Data(body.utf8), using: key)
        return body + "." + Base64.encode(Array(mac), urlSafe: true, padded: false)
    }

    /// The merchant a valid token names; nil for a malformed, tampered, foreign or (unless
    /// `expiring` is false) expired one.
    static func verify(_ token: String, context: ProviderContext, expiring: Bool = true) throws -> Int? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let key = try secret(context), let headerBytes = Base64.decode(String(parts[0])),
              let header = try? JSON.parse(headerBytes), header["alg"] == "HS256",
              let signature = Base64.decode(String(parts[2])),
              HMAC<SHA256>.isValidAuthenticationCode(
                  signature, authenticating: Data("\(parts[0]).\(parts[1])".utf8), using: key),
              let payloadBytes = Base64.decode(String(parts[1])), let payload = try? JSON.parse(payloadBytes),
              payload["realm"] == "merchant_key", let id = payload["id"]?.intValue, let exp = payload["exp"]?.intValue,
              !expiring || Int64(exp) > context.clock.nowMilliseconds() / 1000 else { return nil }
        return id
    }
}
