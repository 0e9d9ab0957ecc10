import Foundation
import HTTPServer

/// Holds a provider's OpenAPI document to the code: its operations against the router's
/// table, and real responses against its schemas (scripts/validate-openapi.py, which
/// also runs openapi-spec-validator on the document).
public enum OpenAPICheck {
    /// "POST /api/v1/:locale/payments/orders" for every operation of the document.
    public static func operations(_ document: JSON) -> Set<String> {
        Set((document["paths"]?.objectValue ?? []).flatMap { path, item in
            let pattern = path.split(separator: "/").map { $0.hasPrefix("{") && $0.hasSuffix("}") ? ":" + $0.dropFirst().dropLast() : String($0) }
            return (item.objectValue ?? []).filter { $0.0 != "parameters" }.map { "\($0.0.uppercased()) /" + pattern.joined(separator: "/") }
        })
    }

    /// Validates `document`, then each `(schema pointer, value)`; returns the script's
    /// exit status and output.
    public static func validate(document: [UInt8], _ checks: [(String, JSON)]) throws -> (status: Int32, output: String) {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("openapi-\(UUID().uuidString).json")
        try Data(document).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../scripts/validate-openapi.py").standardized
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path, file.path]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        input.fileHandleForWriting.write(Data(JSON.array(checks.map { [.string($0.0), $0.1] }).serializedBytes()))
        try input.fileHandleForWriting.close()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }
}
