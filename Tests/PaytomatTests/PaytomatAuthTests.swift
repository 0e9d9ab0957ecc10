import Foundation
import Testing
import HTTPServer
import SandboxCore
import TestSupport
@testable import Paytomat

@Suite struct PaytomatAuthTests {
    @Test func basicAndJWTBothWork() throws {
        let test = try TestSandbox(providers: [PaytomatProvider()])
        let client = try test.client()
        let token = try client.request("GET", "/paytomat/api/v1/token", headers: [basic("sandbox", "sandbox-secret")])
        #expect(token.status == 200)
        let jwt = try #require(token.json["token"]?.stringValue)
        let parts = jwt.split(separator: ".")
        #expect(parts.count == 3)
        #expect(parts[0] == "eyJhbGciOiJIUzI1NiJ9")
        let payload = try JSON.parse(try #require(Base64.decode(String(parts[1]))))
        #expect(payload["id"] == 1)
        #expect(payload["realm"] == "merchant_key")
        let viaJWT = try client.request("GET", "/paytomat/api/v1/currencies", headers: [("Authorization", "Bearer \(jwt)")])
        #expect(viaJWT.status == 200)
        // The second merchant's token names merchant 2.
        let other = try client.request("GET", "/paytomat/api/v1/token", headers: [basic("sandbox2", "sandbox2-secret")]).json["token"]?.stringValue ?? ""
        #expect(try JSON.parse(Base64.decode(String(other.split(separator: ".")[1])) ?? [])["id"] == 2)
    }

    @Test(arguments: [
        [basic("sandbox", "wrong")],
        [basic("nobody", "sandbox-secret")],
        [("Authorization", "Basic !!!")],
        [("Authorization", "Bearer not.a.jwt")],
        [("Authorization", "Bearer ")],
        [],
    ])
    func badCredentialsAre401(headers: [(String, String)]) throws {
        let test = try TestSandbox(providers: [PaytomatProvider()])
        let response = try test.client().request("GET", "/paytomat/api/v1/currencies", headers: headers)
        #expect(response.status == 401)
        #expect(response.json["error"]?.stringValue?.isEmpty == false)
        guard case .object(let members) = response.json else { Issue.record("not an object"); return }
        #expect(members.map(\.0) == ["error"])
    }

    @Test func tamperedExpiredAndForeignTokensAreRefused() throws {
        let test = try TestSandbox(providers: [PaytomatProvider()])
        let client = try test.client()
        let jwt = try #require(try client.request("GET", "/paytomat/api/v1/token", headers: [basic("sandbox", "sandbox-secret")]).json["token"]?.stringValue)
        let parts = jwt.split(separator: ".").map(String.init)
        // Tampered: the payload names merchant 2, the signature is merchant 1's.
        let forged = Base64.encode(Array(#"{"id":2,"realm":"merchant_key","iat":0,"exp":9999999999}"#.utf8), urlSafe: true, padded: false)
        #expect(try client.request("GET", "/paytomat/api/v1/currencies", headers: [("Authorization", "Bearer \(parts[0]).\(forged).\(parts[2])")]).status == 401)
        // Foreign: signed by another sandbox's secret.
        let elsewhere = try TestSandbox(providers: [PaytomatProvider()])
        let foreign = try #require(try elsewhere.client().request("GET", "/paytomat/api/v1/token", headers: [basic("sandbox", "sandbox-secret")]).json["token"]?.stringValue)
        #expect(try client.request("GET", "/paytomat/api/v1/currencies", headers: [("Authorization", "Bearer \(foreign)")]).status == 401)
        // Expired: a day later on the sandbox clock.
        #expect(try client.request("GET", "/paytomat/api/v1/currencies", headers: [("Authorization", "Bearer \(jwt)")]).status == 200)
        _ = try client.advance(86400)
        let expired = try client.request("GET", "/paytomat/api/v1/currencies", headers: [("Authorization", "Bearer \(jwt)")])
        #expect(expired.status == 401)
        #expect(expired.json == ["error": "Invalid or expired token"])
        // A reset makes a new secret: old tokens stop working.
        let fresh = try #require(try client.request("GET", "/paytomat/api/v1/token", headers: [basic("sandbox", "sandbox-secret")]).json["token"]?.stringValue)
        _ = try client.request("POST", "/_sandbox/reset")
        #expect(try client.request("GET", "/paytomat/api/v1/currencies", headers: [("Authorization", "Bearer \(fresh)")]).status == 401)
    }

    @Test func currenciesAndRates() throws {
        let test = try TestSandbox(providers: [PaytomatProvider()])
        let client = try test.client()
        let auth = [basic("sandbox", "sandbox-secret")]
        let currencies = try client.request("GET", "/paytomat/api/v1/currencies", headers: auth).json["currencies"]?.arrayValue ?? []
        #expect(currencies.first == ["code": "BTC", "in": true, "out": true, "title": "Bitcoin"])
        #expect(currencies.contains(["code": "UAH", "in": true, "out": false, "title": "Hryvnia"]))
        let rates = try client.request("GET", "/paytomat/api/v1/exchange_rates?currency=USD", headers: auth).json["rates"]
        #expect(rates?["USD"] == "1")
        #expect(rates?["BTC"] == "0.00002312")
        #expect(rates?.objectValue?.allSatisfy { $0.1.stringValue != nil } == true)
        #expect(try client.request("GET", "/paytomat/api/v1/exchange_rates?currency=btc", headers: auth).json["rates"]?["USD"] == "43250")
        #expect(try client.request("GET", "/paytomat/api/v1/exchange_rates", headers: auth).json == ["error": "currency is required"])
        #expect(try client.request("GET", "/paytomat/api/v1/exchange_rates?currency=XYZ", headers: auth).status == 400)
        #expect(try client.request("GET", "/paytomat/api/v1/nothing", headers: auth).status == 404)
        // A merchant's own prices replace the table's.
        _ = try client.request("PATCH", "/_sandbox/accounts/paytomat/1", json: ["rates_usd": ["BTC": "50000"]])
        #expect(try client.request("GET", "/paytomat/api/v1/exchange_rates?currency=BTC", headers: auth).json["rates"]?["USD"] == "50000")
        let created = try client.request("POST", "/paytomat/api/v1/create_transaction", headers: auth,
                                         json: ["order_id": "R1", "currency_in": "USD", "currency_out": "BTC", "amount_in": 100])
        #expect(created.json["amount_out"] == .number("0.002"))
        let waves = try client.request("POST", "/paytomat/api/v1/create_transaction", headers: auth,
                                       json: ["order_id": "W1", "currency_in": "USD", "currency_out": "WAVES", "amount_in": 10])
        let address = waves.json["address"]?.stringValue ?? ""
        #expect(address.hasPrefix("3P"))
        let decoded = PaytomatAddress.decode58(address) ?? []
        #expect(decoded.count == 26 && PaytomatAddress.waves(Array(decoded[2 ..< 22])) == address)
        #expect(waves.json["qr_code"]?.stringValue?.hasPrefix("waves:3P") == true)
        #expect(try client.request("POST", "/paytomat/api/v1/currencies", headers: auth).status == 405)
    }
}

@Suite struct PaytomatAddressTests {
    private func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    @Test func hashesMatchTheirTestVectors() {
        #expect(hex(PaytomatHashes.keccak256([])) == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")
        #expect(hex(PaytomatHashes.keccak256(Array("abc".utf8))) == "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45")
        #expect(hex(PaytomatHashes.blake2b256([])) == "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8")
        #expect(hex(PaytomatHashes.blake2b256(Array("abc".utf8))) == "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319")
        let long = [UInt8](repeating: 0x61, count: 300)
        #expect(PaytomatHashes.blake2b256(long).count == 32)
    }

    @Test func base58KeepsLeadingZerosAndChecksums() {
        // The all-zero key hash's bitcoin address, well known for its run of leading 1s.
        let burn = PaytomatAddress.base58Check([UInt8](repeating: 0, count: 21))
        #expect(burn == "1111111111111111111114oLvT2")
        #expect(PaytomatAddress.decodeCheck(burn) == [UInt8](repeating: 0, count: 21))
        #expect(PaytomatAddress.decodeCheck("1111111111111111111114oLvT3") == nil)
        #expect(PaytomatAddress.decode58("0OIl") == nil)
        #expect(PaytomatAddress.decode58("3PAé") == nil)
    }

    @Test func aKnownWavesAddressChecksOut() {
        // Waves genesis addresses: rebuilt from their key hashes, checksum included.
        for address in ["3PAWwWa6GbwcJaFzwqXQN5KQm7H96Y7SHTQ", "3P8JdJGYc7vaLu4UXUZc1iRLdzrkGtdCyJM"] {
            let decoded = PaytomatAddress.decode58(address) ?? []
            #expect(decoded.count == 26)
            #expect(PaytomatAddress.waves(Array(decoded[2 ..< 22])) == address)
        }
    }
}
