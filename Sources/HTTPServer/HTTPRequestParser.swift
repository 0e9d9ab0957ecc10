/// HTTP/1.1 request parser: a value-type state machine fed bytes, returning complete
/// requests (and a signal when the client waits for `100 Continue`) or a typed error.
/// It knows nothing of sockets; after an error the connection must be closed.
public struct HTTPRequestParser: Sendable {
    public enum Event: Sendable {
        /// The head asked for `Expect: 100-continue` and its body has not arrived yet.
        case continueExpected
        case request(HTTPRequest)
    }

    private enum State: Sendable, Equatable {
        case head
        case fixedBody(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers(bytes: Int)
        case failed
    }

    public let limits: HTTPParserLimits
    private var buffer: [UInt8] = []
    private var readIndex = 0
    private var scanIndex = 0
    private var state: State = .head
    private var pending: HTTPRequest?
    private var continuePending = false

    public init(limits: HTTPParserLimits = HTTPParserLimits()) { self.limits = limits }

    /// True while part of a request has arrived but not all of it.
    public var isMidRequest: Bool { state != .head || readIndex < buffer.count }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        buffer.append(contentsOf: bytes)
    }

    public mutating func append(_ bytes: [UInt8]) {
        buffer.append(contentsOf: bytes)
    }

    /// The next complete event, nil when more bytes are needed.
    public mutating func next() throws(HTTPParseError) -> Event? {
        do {
            return try step()
        } catch {
            state = .failed
            throw error
        }
    }

    private mutating func step() throws(HTTPParseError) -> Event? {
        while true {
            switch state {
            case .failed:
                throw .badRequest("connection already failed")
            case .head:
                guard let request = try parseHead() else { return nil }
                if let event = try startBody(for: request) { return event }
            case .fixedBody(let remaining):
                let available = buffer.count - readIndex
                if available < remaining {
                    if continuePending { continuePending = false; return .continueExpected }
                    return nil
                }
                pending?.body = Array(buffer[readIndex ..< readIndex + remaining])
                readIndex += remaining
                return finish()
            case .chunkSize:
                guard let line = try takeLine(max: 4096, what: "chunk size line") else {
                    if continuePending { continuePending = false; return .continueExpected }
                    return nil
                }
                continuePending = false
                let size = try parseChunkSize(line)
                if size == 0 {
                    state = .trailers(bytes: 0)
                } else {
                    guard (pending?.body.count ?? 0) + size <= limits.maxBodyBytes else { throw .payloadTooLarge }
                    state = .chunkData(remaining: size)
                }
            case .chunkData(let remaining):
                let available = buffer.count - readIndex
                guard available > 0 else { return nil }
                let take = min(available, remaining)
                pending?.body.append(contentsOf: buffer[readIndex ..< readIndex + take])
                readIndex += take
                state = take == remaining ? .chunkDataEnd : .chunkData(remaining: remaining - take)
            case .chunkDataEnd:
                guard buffer.count - readIndex >= 2 else { return nil }
                guard buffer[readIndex] == 13, buffer[readIndex + 1] == 10 else {
                    throw .badRequest("chunk data not followed by CRLF")
                }
                readIndex += 2
                state = .chunkSize
            case .trailers(let bytes):
                let before = readIndex
                guard let line = try takeLine(max: limits.maxHeaderBytes, what: "trailer") else { return nil }
                let total = bytes + (readIndex - before)
                guard total <= limits.maxHeaderBytes else { throw .headersTooLarge }
                if line.isEmpty { return finish() }
                state = .trailers(bytes: total)
            }
        }
    }

    private mutating func finish() -> Event? {
        guard let request = pending else { return nil }
        pending = nil
        state = .head
        continuePending = false
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 64 * 1024)
            readIndex = 0
        } else if readIndex > 16 * 1024 {
            buffer.removeFirst(readIndex)
            readIndex = 0
        }
        scanIndex = readIndex
        return .request(request)
    }

    // MARK: head

    private mutating func parseHead() throws(HTTPParseError) -> HTTPRequest? {
        // Ignore empty lines before a request line (RFC 9112 §2.2).
        while buffer.count - readIndex >= 2, buffer[readIndex] == 13, buffer[readIndex + 1] == 10 {
            readIndex += 2
        }
        scanIndex = max(scanIndex, readIndex)
        let end: Int? = buffer.withUnsafeBufferPointer { bytes in
            var i = max(readIndex, scanIndex - 3)
            while i + 3 < bytes.count {
                if bytes[i + 3] != 10 { i += bytes[i + 3] == 13 ? 1 : 4; continue }
                if bytes[i] == 13, bytes[i + 1] == 10, bytes[i + 2] == 13 { return i }
                i += 1
            }
            return nil
        }
        guard let headEnd = end else {
            scanIndex = buffer.count
            let pendingBytes = buffer.count - readIndex
            if pendingBytes > limits.maxRequestLine, firstLineEnd(from: readIndex, upTo: buffer.count) == nil {
                throw .uriTooLong
            }
            if pendingBytes > limits.maxRequestLine + limits.maxHeaderBytes { throw .headersTooLarge }
            return nil
        }
        let lineEnd = firstLineEnd(from: readIndex, upTo: headEnd + 2) ?? headEnd
        guard lineEnd - readIndex <= limits.maxRequestLine else { throw .uriTooLong }
        guard headEnd - lineEnd <= limits.maxHeaderBytes else { throw .headersTooLarge }

        var request = try parseRequestLine(buffer[readIndex ..< lineEnd])
        var lineStart = lineEnd + 2
        while lineStart < headEnd + 2 {
            let stop = firstLineEnd(from: lineStart, upTo: headEnd + 2) ?? headEnd
            let (name, value) = try parseHeaderLine(buffer[lineStart ..< stop])
            request.headers.add(name, value)
            lineStart = stop + 2
        }
        readIndex = headEnd + 4
        scanIndex = readIndex
        return request
    }

    private func firstLineEnd(from start: Int, upTo limit: Int) -> Int? {
        var i = start
        while i + 1 < limit {
            if buffer[i] == 13 && buffer[i + 1] == 10 { return i }
            i += 1
        }
        return nil
    }

    private func parseRequestLine(_ line: ArraySlice<UInt8>) throws(HTTPParseError) -> HTTPRequest {
        let parts = line.split(separator: 32, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw .badRequest("malformed request line")
        }
        guard parts[0].allSatisfy(Self.isTokenByte) else { throw .badRequest("invalid method") }
        guard parts[1].allSatisfy({ $0 > 32 && $0 != 127 }) else { throw .badRequest("invalid request target") }
        let versionText = String(decoding: parts[2], as: UTF8.self)
        let version: HTTPRequest.Version
        switch versionText {
        case "HTTP/1.1": version = .http11
        case "HTTP/1.0": version = .http10
        default:
            let v = Array(versionText.utf8)
            if v.count == 8, versionText.hasPrefix("HTTP/"), Self.isDigit(v[5]), v[6] == 46, Self.isDigit(v[7]) {
                throw .versionNotSupported
            }
            throw .badRequest("invalid HTTP version")
        }
        let method = String(decoding: parts[0], as: UTF8.self)
        var target = String(decoding: parts[1], as: UTF8.self)
        if target.hasPrefix("/") {
            // origin-form
        } else if target == "*" {
            guard method == "OPTIONS" else { throw .badRequest("'*' target is only valid for OPTIONS") }
        } else if let scheme = ["http://", "https://"].first(where: { target.lowercased().hasPrefix($0) }) {
            // absolute-form (a client talking to us as a proxy): keep path and query.
            let rest = target.dropFirst(scheme.count)
            if let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) {
                target = String(rest[slash...])
                if target.hasPrefix("?") { target = "/" + target }
            } else {
                target = "/"
            }
        } else {
            throw .badRequest("invalid request target")
        }
        return HTTPRequest(method: method, target: target, version: version)
    }

    private func parseHeaderLine(_ line: ArraySlice<UInt8>) throws(HTTPParseError) -> (String, String) {
        guard let first = line.first else { throw .badRequest("empty header line") }
        if first == 32 || first == 9 { throw .badRequest("obsolete header line folding") }
        guard let colon = line.firstIndex(of: 58) else { throw .badRequest("header line without colon") }
        let name = line[line.startIndex ..< colon]
        guard !name.isEmpty, name.allSatisfy(Self.isTokenByte) else {
            throw .badRequest("invalid header name")
        }
        var value = line[(colon + 1)...]
        while let f = value.first, f == 32 || f == 9 { value = value.dropFirst() }
        while let l = value.last, l == 32 || l == 9 { value = value.dropLast() }
        guard !value.contains(where: { $0 == 0 || $0 == 13 || $0 == 10 }) else {
            throw .badRequest("invalid character in header value")
        }
        return (String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self))
    }

    // MARK: body framing

    private mutating func startBody(for head: HTTPRequest) throws(HTTPParseError) -> Event? {
        let hosts = head.headers.values("Host")
        if head.version == .http11 && hosts.count != 1 { throw .badRequest("HTTP/1.1 needs exactly one Host header") }
        let transferEncodings = head.headers.values("Transfer-Encoding")
        let lengths = head.headers.values("Content-Length")
        pending = head
        let wantsContinue = head.version == .http11 && head.headers.hasToken("100-continue", in: "Expect")
        if !transferEncodings.isEmpty {
            guard lengths.isEmpty else { throw .badRequest("both Content-Length and Transfer-Encoding") }
            guard head.version == .http11 else { throw .badRequest("Transfer-Encoding in an HTTP/1.0 request") }
            let codings = transferEncodings.flatMap { $0.split(separator: ",") }
                .map { String($0).trimmingASCIISpaces().lowercased() }
            guard codings == ["chunked"] else {
                if codings.last != "chunked" { throw .badRequest("unsupported Transfer-Encoding") }
                throw .unsupportedTransferCoding(codings.joined(separator: ", "))
            }
            state = .chunkSize
            continuePending = wantsContinue
            return nil
        }
        guard !lengths.isEmpty else { return finish() }
        var length: Int?
        for text in lengths {
            guard !text.isEmpty, text.utf8.count <= 18, text.utf8.allSatisfy(Self.isDigit), let value = Int(text) else {
                throw .badRequest("invalid Content-Length")
            }
            if let seen = length, seen != value { throw .badRequest("conflicting Content-Length headers") }
            length = value
        }
        let bodyLength = length ?? 0
        guard bodyLength <= limits.maxBodyBytes else { throw .payloadTooLarge }
        if bodyLength == 0 { return finish() }
        state = .fixedBody(remaining: bodyLength)
        continuePending = wantsContinue
        return nil
    }

    /// Takes one CRLF-terminated line (without the CRLF), nil when incomplete.
    private mutating func takeLine(max: Int, what: String) throws(HTTPParseError) -> ArraySlice<UInt8>? {
        guard let end = firstLineEnd(from: readIndex, upTo: buffer.count) else {
            if buffer.count - readIndex > max { throw .badRequest("\(what) too long") }
            return nil
        }
        guard end - readIndex <= max else { throw .badRequest("\(what) too long") }
        let line = buffer[readIndex ..< end]
        readIndex = end + 2
        return line
    }

    private func parseChunkSize(_ line: ArraySlice<UInt8>) throws(HTTPParseError) -> Int {
        var size = 0
        var digits = 0
        var index = line.startIndex
        while index < line.endIndex, let value = PercentDecoding.hexValue(line[index]) {
            digits += 1
            guard digits <= 15 else { throw .badRequest("chunk size too large") }
            size = size << 4 | Int(value)
            index += 1
        }
        guard digits > 0 else { throw .badRequest("invalid chunk size") }
        var rest = line[index...]
        while let f = rest.first, f == 32 || f == 9 { rest = rest.dropFirst() }
        guard rest.isEmpty || rest.first == 59 else { throw .badRequest("invalid chunk size") }
        return size
    }
}
