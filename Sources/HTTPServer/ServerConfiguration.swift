public struct ServerConfiguration: Sendable {
    public var limits = HTTPParserLimits()
    /// Seconds a started request may take to arrive whole (slow or stalled clients get 408).
    public var requestTimeout: Double = 30
    /// Seconds an idle keep-alive connection stays open.
    public var keepAliveTimeout: Double = 15
    /// Open connections at most; one more is answered 503 and closed. An idle connection
    /// costs a descriptor and its buffers, and no thread.
    public var maxConnections = 2048
    /// `Access-Control-Allow-Origin` for browser clients; nil turns CORS off.
    public var corsAllowOrigin: String? = "*"
    public var logger = Logger()

    public init() {}
}
