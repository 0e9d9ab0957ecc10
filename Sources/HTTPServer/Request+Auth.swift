extension HTTPRequest {
    /// Credentials from `Authorization: Basic …` (curl turns `http://user:pass@host/`
    /// into this header). Nil when absent or not valid base64 `user:pass`.
    public var basicCredentials: (user: String, password: String)? {
        guard let credentials = authorization("Basic"),
              let decoded = Base64.decode(credentials),
              let text = decoded.withUnsafeBufferPointer({ String(validUTF8: $0) }),
              let colon = text.firstIndex(of: ":")
        else { return nil }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }

    /// The token from `Authorization: Bearer …`, or nil.
    public var bearerToken: String? {
        guard let token = authorization("Bearer") else { return nil }
        return token.isEmpty ? nil : token
    }

    /// What follows `scheme` (any case) and a space in the Authorization header, trimmed;
    /// nil when there is none or it names another scheme. Split on bytes: a String's
    /// Characters are grapheme clusters, and splitting them shows in a bearer-token GET.
    private func authorization(_ scheme: String) -> String? {
        guard let value = headers["Authorization"] else { return nil }
        let parts = value.utf8.split(separator: UInt8(ascii: " "), maxSplits: 1)
        guard parts.count == 2, String(Substring(parts[0])).equalsIgnoringASCIICase(scheme) else { return nil }
        return String(Substring(parts[1])).trimmingASCIISpaces()
    }
}

public enum Base64 {
    /// Standard or URL-safe base64, padding optional. Nil on any invalid character.
    public static func decode(_ text: String) -> [UInt8]? {
        var out: [UInt8] = []
        var buffer: UInt32 = 0
        var bits = 0
        for byte in text.utf8 {
            let value: UInt32
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = UInt32(byte - 65)
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = UInt32(byte - 97 + 26)
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = UInt32(byte - 48 + 52)
            case UInt8(ascii: "+"), UInt8(ascii: "-"): value = 62
            case UInt8(ascii: "/"), UInt8(ascii: "_"): value = 63
            case UInt8(ascii: "="): continue
            default: return nil
            }
            buffer = buffer << 6 | value
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits)))
            }
        }
        return out
    }

    public static func encode(_ bytes: [UInt8], urlSafe: Bool = false, padded: Bool = true) -> String {
        let table = Array((urlSafe
            ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
            : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/").utf8)
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            let b0 = UInt32(bytes[i])
            let b1 = i + 1 < bytes.count ? UInt32(bytes[i + 1]) : 0
            let b2 = i + 2 < bytes.count ? UInt32(bytes[i + 2]) : 0
            let n = b0 << 16 | b1 << 8 | b2
            out.append(table[Int(n >> 18 & 63)])
            out.append(table[Int(n >> 12 & 63)])
            if i + 1 < bytes.count { out.append(table[Int(n >> 6 & 63)]) } else if padded { out.append(61) }
            if i + 2 < bytes.count { out.append(table[Int(n & 63)]) } else if padded { out.append(61) }
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
