import HTTPServer

/// A request body as Project CX reads it: JSON as documented, or a form body.
struct ProjectCXInput {
    private let json: JSON?
    private let form: FormFields?

    init(_ request: HTTPRequest) throws(ProjectCXError) {
        // curl -d sends JSON labelled as a form: a body that opens with `{` is JSON.
        let looksLikeJSON = request.body.first { $0 != 32 && $0 != 9 && $0 != 10 && $0 != 13 } == UInt8(ascii: "{")
        if request.mediaType == "application/x-www-form-urlencoded" && !looksLikeJSON {
            json = nil
            form = request.formBody
            return
        }
        guard !request.body.isEmpty else { throw .invalidRequest("Request body must be a JSON object") }
        let parsed: JSON
        do {
            parsed = try request.jsonBody()
        } catch {
            throw .invalidRequest("Request body is not valid JSON: \(error)")
        }
        guard case .object = parsed else { throw .invalidRequest("Request body must be a JSON object") }
        json = parsed
        form = nil
    }

    /// A string field, nil when absent (or JSON null).
    func string(_ name: String, maxLength: Int) throws(ProjectCXError) -> String? {
        let value: String
        if let form {
            guard let v = form[name] else { return nil }
            value = v
        } else {
            guard let v = json?[name], !v.isNull else { return nil }
            guard let s = v.stringValue else { throw .invalidRequest("\(name) must be a string, got \(v.typeName)") }
            value = s
        }
        guard value.count <= maxLength else { throw .invalidRequest("\(name) must be at most \(maxLength) characters") }
        return value
    }

    func requiredString(_ name: String, maxLength: Int) throws(ProjectCXError) -> String {
        guard let value = try string(name, maxLength: maxLength), !value.isEmpty else {
            throw .invalidRequest("\(name) is required")
        }
        return value
    }

    /// An integer field (a JSON integer; digits in a form body).
    func requiredInteger(_ name: String) throws(ProjectCXError) -> Int {
        if let form {
            guard let text = form[name], !text.isEmpty else { throw .invalidRequest("\(name) is required") }
            guard let value = Int(text) else { throw .invalidRequest("\(name) must be an integer") }
            return value
        }
        guard let v = json?[name], !v.isNull else { throw .invalidRequest("\(name) is required") }
        guard case .number = v else { throw .invalidRequest("\(name) must be an integer, got \(v.typeName)") }
        guard let value = v.intValue else { throw .invalidRequest("\(name) must be an integer number of cents") }
        return value
    }
}
