extension HTTPRequest {
    /// The media type of the body, lowercased, without parameters ("application/json").
    public var mediaType: String? {
        guard let value = headers["Content-Type"] else { return nil }
        let type = value.split(separator: ";", maxSplits: 1).first.map(String.init) ?? value
        return type.trimmingASCIISpaces().lowercased()
    }

    /// The body parsed as JSON.
    public func jsonBody() throws(JSONParseError) -> JSON {
        try JSON.parse(body)
    }

    /// The body as `application/x-www-form-urlencoded` fields.
    public var formBody: FormFields { FormFields(urlEncoded: bodyString) }
}
