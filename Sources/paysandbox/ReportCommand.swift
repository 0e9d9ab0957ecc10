import ArgumentParser
import Foundation
import Synchronization
import HTTPServer
import Witness
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `paysandbox report`: a running sandbox's readiness report for one account, as a CI step.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Print a running sandbox's readiness report for one account; exit 1 when a check failed.",
        discussion: "Exits 2 when the report cannot be had (no sandbox there, no such account, a wrong token)."
    )

    @Option(help: "The sandbox's main URL. (default: $PAYSANDBOX_URL, else http://localhost:8080)")
    var url: String?

    @Option(help: "projectcx, paytomat, census, payxtoday or alphacomm.")
    var provider: String

    @Option(help: "The account's id.")
    var account = 1

    @Option(help: "text, json or junit.")
    var format = "text"

    @Option(help: "The control plane's token, if it needs one. (default: $PAYSANDBOX_ADMIN_TOKEN)")
    var adminToken: String?

    func validate() throws {
        guard ["text", "json", "junit"].contains(format) else {
            throw ValidationError("--format must be text, json or junit")
        }
    }

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        var base = url ?? environment["PAYSANDBOX_URL"] ?? "http://localhost:8080"
        while base.hasSuffix("/") { base.removeLast() }
        let path = "/_sandbox/accounts/\(PercentDecoding.encode(provider))/\(account)/report"
        guard let address = URL(string: base + path) else {
            throw ValidationError("--url must be a URL like http://localhost:8080, got '\(base)'")
        }
        var request = URLRequest(url: address, timeoutInterval: 30)
        if let token = adminToken ?? environment["PAYSANDBOX_ADMIN_TOKEN"] {
            request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        }
        let (status, body) = try Self.fetch(request)
        guard status == 200, let json = try? JSON.parse(body), let report = Report(json: json) else {
            let why = (try? JSON.parse(body))?["error"]?.stringValue ?? String(decoding: body, as: UTF8.self)
            FileHandle.standardError.write(Data("paysandbox report: \(address): \(status) \(why)\n".utf8))
            throw ExitCode(2)
        }
        let out: String
        switch format {
        case "json": out = report.json.serialized() + "\n"
        case "junit": out = report.junit
        default: out = report.text
        }
        FileHandle.standardOutput.write(Data(out.utf8))
        if report.failed { throw ExitCode(1) }
    }

    /// One request, waited for.
    static func fetch(_ request: URLRequest) throws -> (Int, [UInt8]) {
        let answer = Answer()
        let done = DispatchSemaphore(value: 0)
        URLSession.shared.dataTask(with: request) { data, response, error in
            answer.set((response as? HTTPURLResponse)?.statusCode ?? 0, data.map(Array.init) ?? [],
                       error?.localizedDescription)
            done.signal()
        }.resume()
        done.wait()
        let (status, body, error) = answer.get()
        if let error {
            let address = request.url?.absoluteString ?? ""
            FileHandle.standardError.write(Data("paysandbox report: \(address): \(error)\n".utf8))
            throw ExitCode(2)
        }
        return (status, body)
    }

    private final class Answer: Sendable {
        private let value = Mutex<(Int, [UInt8], String?)>((0, [], nil))
        func set(_ status: Int, _ body: [UInt8], _ error: String?) { value.withLock { $0 = (status, body, error) } }
        func get() -> (Int, [UInt8], String?) { value.withLock { $0 } }
    }
}
