extension HTTPRequest {
    /// The media type of the body, lowercased, without parameters ("application/json").
    public var mediaType: String? {
        guard let value = headers["Content-Type"] else { return nil }
        let type = value.utf8.prefix { $0 != UInt8(ascii: ";") }
        return String(decoding: type.map { (65...90).contains($0) ? $0 | 0x20 : $0 }, as: UTF8.self)
            .trimmingASCIISpaces()
    }

    /// The body parsed as JSON.
    public func jsonBody() throws(JSONParseError) -> JSON {
        try JSON.parse(body)
    }

    /// The body as `application/x-www-form-urlencoded` fields.
    public var formBody: FormFields { FormFields(urlEncoded: bodyString) }
}
