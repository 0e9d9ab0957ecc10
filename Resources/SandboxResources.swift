import Foundation

/// Files shipped in `Resources/` (OpenAPI documents, …), read from the package's resource
/// bundle, which must sit next to the binary (`PaySandbox_SandboxResources.resources`).
public enum SandboxResources {
    /// The bytes of `Resources/<path>`, or nil when there is no such file.
    public static func data(_ path: String) -> [UInt8]? {
        guard !path.contains(".."), let base = Bundle.module.resourceURL else { return nil }
        guard let data = FileManager.default.contents(atPath: base.appendingPathComponent(path).path) else { return nil }
        return [UInt8](data)
    }
}
