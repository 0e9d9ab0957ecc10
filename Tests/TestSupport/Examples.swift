import Foundation
import HTTPServer

/// Documented examples under `Tests/Fixtures/<Provider>/`.
public enum Examples {
    public static func json(_ path: String) throws -> JSON {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../Fixtures/\(path)")
        return try JSON.parse([UInt8](try Data(contentsOf: url)))
    }

    /// The Alphacomm document's example create request.
    public static var alphacommCreateRequest: JSON { (try? json("Alphacomm/create-request.json")) ?? .null }
}
