/// Why a request could not be parsed. Each case maps to the status the connection
/// answers with before closing.
public enum HTTPParseError: Error, Equatable, Sendable {
    case badRequest(String)
    case uriTooLong
    case headersTooLarge
    case payloadTooLarge
    case unsupportedTransferCoding(String)
    case versionNotSupported

    public var status: Int {
        switch self {
        case .badRequest: return 400
        case .uriTooLong: return 414
        case .headersTooLarge: return 431
        case .payloadTooLarge: return 413
        case .unsupportedTransferCoding: return 501
        case .versionNotSupported: return 505
        }
    }

    public var message: String {
        switch self {
        case .badRequest(let why): return "Bad request: \(why)"
        case .uriTooLong: return "Request line too long"
        case .headersTooLarge: return "Request header fields too large"
        case .payloadTooLarge: return "Request body too large"
        case .unsupportedTransferCoding(let what): return "Unsupported transfer coding: \(what)"
        case .versionNotSupported: return "HTTP version not supported"
        }
    }
}

public struct HTTPParserLimits: Sendable {
    public var maxRequestLine: Int
    public var maxHeaderBytes: Int
    public var maxBodyBytes: Int

    public init(maxRequestLine: Int = 8 * 1024, maxHeaderBytes: Int = 16 * 1024, maxBodyBytes: Int = 1024 * 1024) {
        self.maxRequestLine = maxRequestLine
        self.maxHeaderBytes = maxHeaderBytes
        self.maxBodyBytes = maxBodyBytes
    }
}
