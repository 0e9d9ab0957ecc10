import Crypto
import Foundation
import SandboxCore

/// Deposit addresses that are syntactically valid for their coin: Base58Check with the
/// coin's version byte (BTC P2SH `3…`, LTC P2SH `M…`, DASH P2PKH `X…`), and the payment URI
/// the QR code carries.
enum PaytomatAddress {
    static let versions: [String: UInt8] = ["BTC": 0x05, "LTC": 0x32, "DASH": 0x4C]
    static let schemes: [String: String] = ["BTC": "bitcoin", "LTC": "litecoin", "DASH": "dash", "WAVES": "waves"]

    static func make(coin: String, ids: IDGenerator) -> String {
        if coin == "WAVES" { return waves(ids.bytes(20)) }
        return base58Check([versions[coin] ?? 0x05] + ids.bytes(20))
    }

    /// A Waves mainnet address (`3P…`): version 1, chain `W`, a 20-byte key hash, and the
    /// first 4 bytes of keccak256(blake2b256(…)) as checksum.
    static func waves(_ keyHash: [UInt8]) -> String {
        let body: [UInt8] = [0x01, 0x57] + keyHash
        return base58(body + Array(PaytomatHashes.keccak256(PaytomatHashes.blake2b256(body)).prefix(4)))
    }

    static func qrCode(coin: String, address: String, amount: String) -> String {
        "\(schemes[coin] ?? coin.lowercased()):\(address)?amount=\(amount)"
    }

    static func base58Check(_ payload: [UInt8]) -> String {
        let checksum = Array(SHA256.hash(data: Data(SHA256.hash(data: Data(payload))))).prefix(4)
        return base58(payload + checksum)
    }

    static let alphabet = Array("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz".utf8)

    static func base58(_ bytes: [UInt8]) -> String {
        var digits: [Int] = [0]
        for byte in bytes {
            var carry = Int(byte)
            for i in digits.indices {
                carry += digits[i] << 8
                digits[i] = carry % 58
                carry /= 58
            }
            while carry > 0 { digits.append(carry % 58); carry /= 58 }
        }
        let zeros = bytes.prefix { $0 == 0 }.count
        let body = digits.reversed().drop { $0 == 0 }
        return String(decoding: repeatElement(alphabet[0], count: zeros) + body.map { alphabet[$0] }, as: UTF8.self)
    }
}
