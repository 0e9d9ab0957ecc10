import HTTPServer

/// A failure of the sandbox itself (a store error, say) while answering a request: the
/// client gets a short message with an error id, in its provider's shape and in the
/// `X-PaySandbox-Error-Id` header; the details (SQL, codes) go to the log with the same id.
enum InternalError {
    static func respond(_ error: Error, _ request: HTTPRequest, logger: Logger,
                        shape: (String) -> HTTPResponse) -> HTTPResponse {
        var generator = SystemRandomNumberGenerator()
        let id = IDGenerator.hex((0 ..< 6).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
        logger.error("internal error \(id) answering \(request.method) \(request.path): \(error)")
        var response = shape("Internal error \(id): the sandbox's log has the details")
        response.headers.set("X-PaySandbox-Error-Id", id)
        return response
    }
}
