import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
@testable import HTTPServer

/// Real clients against the real server: URLSession, curl and Python's requests, each
/// reusing one connection and sending a 200 KiB JSON body. Reuse is read from the `X-Remote`
/// header (the client's address and port) rather than from the server's count of accepted
/// connections, which another suite's client probing a recycled port could raise.
@Suite struct ClientInteropTests {
    static let bigJSON: String = {
        let item = #"{"id":1234567,"description":"a line item of a large order"}"#
        var text = "["
        while text.utf8.count < 200 * 1024 { text += item + "," }
        return text + item + "]"
    }()

    @Test func urlSessionKeepsTheConnectionAndSendsALargeBody() async throws {
        // An async test waits for a free thread of the shared pool between its requests,
        // which the suite's blocking tests can hold for longer than the 15 s keep-alive.
        let running = try RunningServer { $0.keepAliveTimeout = 300 }
        let session = URLSession(configuration: .ephemeral)
        defer { session.invalidateAndCancel() }
        let url = try #require(URL(string: "http://127.0.0.1:\(running.port)/echo"))
        var remotes: Set<String> = []
        for _ in 0 ..< 5 {
            var request = URLRequest(url: url)
            request.httpMethod = "POST"
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = Data(ClientInteropTests.bigJSON.utf8)
            let (data, response) = try await session.data(for: request)
            #expect((response as? HTTPURLResponse)?.statusCode == 200)
            #expect(data.count == ClientInteropTests.bigJSON.utf8.count)
            remotes.insert((response as? HTTPURLResponse)?.value(forHTTPHeaderField: "X-Remote") ?? "")
        }
        #expect(remotes.count == 1 && !remotes.contains(""))
    }

    @Test func curlUses100ContinueAndKeepAlive() throws {
        let running = try RunningServer()
        let bodyFile = FileManager.default.temporaryDirectory.appendingPathComponent("paysandbox-\(UUID().uuidString).json")
        try Data(ClientInteropTests.bigJSON.utf8).write(to: bodyFile)
        defer { try? FileManager.default.removeItem(at: bodyFile) }
        let url = "http://127.0.0.1:\(running.port)/echo"
        // --expect100-timeout 5: if the server did not answer 100 Continue, curl would wait.
        let result = try run("/usr/bin/env", ["curl", "-sv", "--expect100-timeout", "5", "-H", "Content-Type: application/json",
                                              "-H", "Expect: 100-continue", "--data-binary", "@\(bodyFile.path)", url,
                                              "--next", "-sv", url.replacingOccurrences(of: "/echo", with: "/hello")])
        #expect(result.status == 0)
        #expect(result.stderr.contains("HTTP/1.1 100 Continue"))
        #expect(result.stdout.hasPrefix("[{\"id\""))
        #expect(result.stdout.hasSuffix("hello"))
        let remotes = result.stderr.split(whereSeparator: \.isNewline).filter { $0.hasPrefix("< X-Remote: ") }
        #expect(remotes.count == 2 && Set(remotes).count == 1, "\(result.stderr)")
    }

    @Test func curlSendsCredentialsFromTheURLAsBasic() throws {
        let running = try RunningServer()
        let result = try run("/usr/bin/env", ["curl", "-s", "http://alice:s%3Acret@127.0.0.1:\(running.port)/whoami"])
        #expect(result.stdout == "alice:s:cret")
    }

    @Test func pythonRequestsSessionReusesTheConnection() throws {
        let running = try RunningServer()
        let script = """
            import requests, sys
            s = requests.Session()
            big = sys.stdin.read()
            remotes = set()
            for _ in range(3):
                r = s.post("http://127.0.0.1:\(running.port)/echo", data=big, headers={"Content-Type": "application/json"})
                assert r.status_code == 200 and len(r.content) == len(big.encode()), r.status_code
                remotes.add(r.headers["X-Remote"])
            r = s.get("http://127.0.0.1:\(running.port)/hello")
            remotes.add(r.headers["X-Remote"])
            print(r.status_code, r.text, len(remotes))
            """
        let result = try run("/usr/bin/env", ["python3", "-c", script], input: ClientInteropTests.bigJSON)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "200 hello 1\n")
    }

    private func run(_ executable: String, _ arguments: [String], input: String? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe(), err = Pipe(), inPipe = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = inPipe
        try process.run()
        if let input { inPipe.fileHandleForWriting.write(Data(input.utf8)) }
        try inPipe.fileHandleForWriting.close()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }
}
