import HTTPServer

/// Journaled requests as the store keeps them: each flush writes, per lane and account, one row
/// whose blob holds its requests one after another (little-endian integers, length-prefixed
/// bytes). One insert per lane, account and flush instead of one per request keeps the writer free for
/// payments; the encoding is a copy of the bytes.
enum JournalCoding {
    static let version: UInt8 = 1

    /// Appends one request (its payment is found as it is read: `decode`): put together in
    /// `scratch` through a pointer, then appended in one copy (two dozen appends, each checking
    /// the array's room, had cost as much as attributing).
    static func encode(_ id: Int64, _ e: RequestJournal.Entry, _ r: HTTPRequest, _ response: HTTPResponse,
                       scratch: Scratch, into out: inout [UInt8]) {
        let fault = response.faultMark
        let route = e.who.route ?? none, kind = fault?.kind ?? none
        let body = min(r.body.count, RequestJournal.bodyLimit)
        let answer = min(response.body.count, RequestJournal.bodyLimit)
        let headers = size(of: r.headers), responseHeaders = size(of: response.headers)
        // The version, seven integers, six texts' and two bodies' lengths (the headers count their own).
        var size = 1 + 7 * 8 + 8 * 8 + headers + body + responseHeaders + answer
        // One by one, here and below (an array of them had been an allocation per request).
        size += route.utf8.count + none.utf8.count + kind.utf8.count
        size += r.method.utf8.count + r.target.utf8.count + r.mountPrefix.utf8.count
        guard let base = scratch.room(for: size) else { return }
        var w = Writer(at: base)
        w.byte(version)
        w.int(id)
        w.int(e.at)
        w.int(e.wall)
        w.int(Int64(response.status))
        w.int(Int64(e.micros))
        w.int(Int64(e.who.account ?? -1))
        w.int(Int64(fault?.rule ?? -1))
        w.text(route)
        w.text(none)
        w.text(kind)
        w.text(r.method)
        w.text(r.target)
        w.text(r.mountPrefix)
        w.headers(r.headers, size: headers)
        w.bytes(r.body, body)
        w.headers(response.headers, size: responseHeaders)
        w.bytes(response.body, answer)
        assert(w.at == base + size)
        out.append(contentsOf: UnsafeRawBufferPointer(start: base, count: size))
    }

    /// What an absent text is stored as.
    private static let none = "\u{0}"

    /// Where an entry is put together before it is appended: a lane's own, kept between entries.
    final class Scratch {
        private var memory = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 8)

        deinit { memory.deallocate() }

        /// At least `count` bytes to write to (nil only if none could be had).
        func room(for count: Int) -> UnsafeMutableRawPointer? {
            if memory.count < count {
                memory.deallocate()
                memory = .allocate(byteCount: max(count, memory.count * 2), alignment: 8)
            }
            return memory.baseAddress
        }
    }

    /// Headers as stored: their length, then `Name: value` lines.
    private static func size(of headers: HTTPHeaders) -> Int {
        8 + headers.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 3 }
    }

    /// Writes an entry's pieces one after another (little-endian integers, unaligned).
    private struct Writer {
        var at: UnsafeMutableRawPointer

        mutating func byte(_ value: UInt8) {
            at.storeBytes(of: value, as: UInt8.self)
            at += 1
        }

        mutating func int(_ value: Int64) {
            at.storeBytes(of: value.littleEndian, as: Int64.self)
            at += 8
        }

        mutating func raw(_ bytes: UnsafeRawBufferPointer) {
            guard let from = bytes.baseAddress, !bytes.isEmpty else { return }
            at.copyMemory(from: from, byteCount: bytes.count)
            at += bytes.count
        }

        /// A text with its length.
        mutating func text(_ text: String) {
            int(Int64(text.utf8.count))
            utf8(text)
        }

        /// A text's bytes, copied at once where it has them in one piece (a native string always does).
        mutating func utf8(_ text: String) {
            if text.utf8.withContiguousStorageIfAvailable({ raw(UnsafeRawBufferPointer($0)) }) == nil {
                Array(text.utf8).withUnsafeBytes { raw($0) }
            }
        }

        /// The first `count` of `bytes`, with their count.
        mutating func bytes(_ bytes: [UInt8], _ count: Int) {
            int(Int64(count))
            bytes.withUnsafeBytes { raw(UnsafeRawBufferPointer(rebasing: $0.prefix(count))) }
        }

        /// Headers as `Name: value` lines, as they came (a header line holds no line break).
        mutating func headers(_ headers: HTTPHeaders, size: Int) {
            int(Int64(size - 8))
            for (name, value) in headers {
                utf8(name)
                byte(UInt8(ascii: ":"))
                byte(UInt8(ascii: " "))
                utf8(value)
                byte(UInt8(ascii: "\n"))
            }
        }
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
            let none = { (text: String) in text == Self.none ? nil : text }
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

    static func headers(_ text: String) -> HTTPHeaders {
        HTTPHeaders(text.split(separator: "\n").compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            let value = line[line.index(after: colon)...]
            return (String(line[..<colon]), String(value.hasPrefix(" ") ? value.dropFirst() : value))
        })
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
