import HTTPServer

/// Journaled requests as the store keeps them: each flush writes, per account, one row whose
/// blob holds its requests one after another (little-endian integers, length-prefixed bytes).
/// One insert per account and flush instead of one per request keeps the writer free for
/// payments; the encoding is a copy of the bytes.
enum JournalCoding {
    static let version: UInt8 = 1

    /// Appends one request (its payment is found as it is read: `decode`).
    static func encode(_ id: Int64, _ e: RequestJournal.Entry, _ who: Attribution, into out: inout [UInt8]) {
        let r = e.request
        out.append(version)
        put(id, &out)
        put(e.at, &out)
        put(e.wall, &out)
        put(Int64(e.status), &out)
        put(Int64(e.durationMicros), &out)
        put(Int64(who.account ?? -1), &out)
        put(Int64(e.fault?.rule ?? -1), &out)
        for text in [who.route ?? "\u{0}", "\u{0}", e.fault?.kind ?? "\u{0}", r.method, r.target, r.mountPrefix] {
            put(text.utf8, &out)
        }
        put(r.headers, &out)
        put(bounded(r.body), &out)
        put(e.responseHeaders, &out)
        put(bounded(e.responseBody), &out)
    }

    /// The requests of one stored blob (a damaged tail is left out), each with the payment
    /// `payment` finds for its route, request and answer (rows written before it was found on
    /// reading hold it already).
    static func decode(_ bytes: [UInt8], provider: String,
                       payment: (_ route: String, HTTPRequest, _ responseBody: [UInt8]) -> String?) -> [Call] {
        var reader = Reader(bytes: bytes)
        var calls: [Call] = []
        while reader.more {
            guard reader.byte() == version, let id = reader.int(), let at = reader.int(), let wall = reader.int(),
                  let status = reader.int(), let duration = reader.int(), let account = reader.int(),
                  let rule = reader.int(), let route = reader.text(), let stored = reader.text(),
                  let fault = reader.text(), let method = reader.text(), let target = reader.text(),
                  let mount = reader.text(), let headers = reader.text(), let body = reader.blob(),
                  let responseHeaders = reader.text(), let responseBody = reader.blob()
            else { break }
            let none = { (text: String) in text == "\u{0}" ? nil : text }
            let requestHeaders = Self.headers(headers)
            var found = none(stored)
            if found == nil, let route = none(route) {
                var request = HTTPRequest(method: method, target: target, headers: requestHeaders, body: body)
                request.mountPrefix = mount
                found = payment(route, request, responseBody)
            }
            calls.append(Call(
                id: id, provider: provider, account: account < 0 ? nil : Int(account), route: none(route),
                payment: found, method: method, target: target, headers: requestHeaders, body: body,
                status: Int(status), responseHeaders: Self.headers(responseHeaders), responseBody: responseBody,
                durationMicros: Int(duration), fault: none(fault), faultRule: rule < 0 ? nil : Int(rule), at: at,
                wall: wall))
        }
        return calls
    }

    /// A body as kept: itself when small enough, else its first 16 KiB.
    static func bounded(_ body: [UInt8]) -> ArraySlice<UInt8> { body.prefix(RequestJournal.bodyLimit) }

    /// Headers as `Name: value` lines, as they came (a header line holds no line break), written
    /// straight into the blob.
    private static func put(_ headers: HTTPHeaders, _ out: inout [UInt8]) {
        let start = out.count
        put(Int64(0), &out)
        for (name, value) in headers {
            out.append(contentsOf: name.utf8)
            out.append(contentsOf: [UInt8(ascii: ":"), UInt8(ascii: " ")])
            out.append(contentsOf: value.utf8)
            out.append(UInt8(ascii: "\n"))
        }
        withUnsafeBytes(of: Int64(out.count - start - 8).littleEndian) { length in
            for (i, byte) in length.enumerated() { out[start + i] = byte }
        }
    }

    static func headers(_ text: String) -> HTTPHeaders {
        HTTPHeaders(text.split(separator: "\n").compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            let value = line[line.index(after: colon)...]
            return (String(line[..<colon]), String(value.hasPrefix(" ") ? value.dropFirst() : value))
        })
    }

    private static func put(_ value: Int64, _ out: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
    }

    private static func put<C: Collection>(_ bytes: C, _ out: inout [UInt8]) where C.Element == UInt8 {
        put(Int64(bytes.count), &out)
        out.append(contentsOf: bytes)
    }

    private struct Reader {
        let bytes: [UInt8]
        var offset = 0

        var more: Bool { offset < bytes.count }

        mutating func byte() -> UInt8? {
            guard offset < bytes.count else { return nil }
            defer { offset += 1 }
            return bytes[offset]
        }

        mutating func int() -> Int64? {
            guard offset + 8 <= bytes.count else { return nil }
            var value: Int64 = 0
            for i in (0..<8).reversed() { value = value << 8 | Int64(bytes[offset + i]) }
            offset += 8
            return value
        }

        mutating func blob() -> [UInt8]? {
            guard let count = int(), count >= 0, offset + Int(count) <= bytes.count else { return nil }
            defer { offset += Int(count) }
            return Array(bytes[offset ..< offset + Int(count)])
        }

        mutating func text() -> String? { blob().map { String(decoding: $0, as: UTF8.self) } }
    }
}
