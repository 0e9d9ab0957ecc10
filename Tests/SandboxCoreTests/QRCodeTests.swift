import Foundation
import Testing
@testable import SandboxCore

/// The encoder's codes, read back by a real decoder (zxing-cpp from PyPI), for texts that
/// need each version 1 to 10 (byte mode, level M, mask 0).
@Suite struct QRCodeTests {
    static let texts: [String] = [
        "hi", "bitcoin:3J98t1Wp", "litecoin:MQMcJhpWHYVeQArcZR3sBgyPZxxRtnH441",
        "bitcoin:38nKcqqEpbUZnLj9Zz62QX1FF2gNGguc4n?amount=0.00231214",
        "waves:3PAWwWa6GbwcJaFzwqXQN5KQm7H96Y7SHTQ?amount=12.34567890&label=PaySandbox",
        String(repeating: "dash:XpESxaUmonkq8RaLLp46Brx2K39ggQe226?amount=1 ", count: 2),
        String(repeating: "0123456789abcdefghij", count: 6),
        String(repeating: "0123456789abcdefghij", count: 7) + "xyz",
        String(repeating: "Q", count: 175),
        String(repeating: "é", count: 100),
    ]

    @Test func aRealDecoderReadsEveryVersion() throws {
        let codes = try Self.texts.map { try #require(QRCode($0)) }
        #expect(Set(codes.map(\.size)).count >= 9)
        let matrices = codes.map { code in code.modules.map { row in String(row.map { $0 ? "1" : "0" }) } }
        let script = """
            import json, sys
            import numpy as np, zxingcpp
            out = []
            for rows in json.load(sys.stdin):
                m = np.array([[0 if ch == "1" else 255 for ch in row] for row in rows], dtype=np.uint8)
                m = np.pad(m, 4, constant_values=255).repeat(4, 0).repeat(4, 1)
                found = zxingcpp.read_barcodes(m)
                out.append(found[0].text if found else None)
            print(json.dumps(out))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(try JSONSerialization.data(withJSONObject: matrices))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "the decoder is needed: pip install zxing-cpp numpy")
        let decoded = try #require(try JSONSerialization.jsonObject(with: data) as? [Any])
        for (text, result) in zip(Self.texts, decoded) {
            #expect(result as? String == text, "\(text.prefix(30))")
        }
        #expect(QRCode(String(repeating: "x", count: 300)) == nil)
    }

    @Test func svgDrawsEveryDarkModule() throws {
        let code = try #require(QRCode("bitcoin:3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy?amount=0.1"))
        let svg = code.svg()
        #expect(svg.hasPrefix("<svg"))
        #expect(svg.components(separatedBy: "h1v1h-1z").count - 1 == code.modules.joined().filter { $0 }.count)
    }
}
