import Foundation
import Testing

/// The payer pages of all five providers and the dashboard, driven in headless Chromium by
/// `Tests/Browser/browser_test.py` against the built binary: pay or decline, land on the
/// merchant's redirect, see the callback in the dashboard; hostile text inert on every page;
/// another site's page can neither write, read, submit a payer's form nor frame a page.
/// Screenshots land in `.build/browser/`. Needs chromium, chromium-driver and selenium
/// (`.ci/run` installs them).
@Suite struct BrowserTests {
    @Test func everyPayerPageAndTheDashboardInARealBrowser() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized
        let process = Process()
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", root.appendingPathComponent("Tests/Browser/browser_test.py").path,
                             "--binary", SandboxProcess.binary.path, "--out", root.appendingPathComponent(".build/browser").path]
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0,
                "the browser suite failed (it needs chromium, chromium-driver and `pip install selenium`):\n\(text)")
    }
}
