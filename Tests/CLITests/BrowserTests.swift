import Foundation
import TestSupport
import Testing

/// Headless Chromium (Debian's `chromium`, installed by scripts/setup.sh) on the live dashboard of a
/// running local study and on its report: the rendered DOM is read (the plots have as many points as the
/// journal has results; the live counter grows through the event stream) and screenshots are kept in
/// `$ANASOD_TEST_ARTIFACTS` (default `.build/test-artifacts`).
@Suite(.serialized) struct BrowserTests {
    static let chromium: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    static let artifacts: URL = {
        let url = ProcessInfo.processInfo.environment["ANASOD_TEST_ARTIFACTS"].map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/test-artifacts")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    /// Runs Chromium headless on `url` with `arguments` (`--dump-dom`, `--screenshot=…`); its stdout.
    static func browse(_ url: String, _ arguments: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: chromium!)
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("chromium-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: profile) }
        p.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--user-data-dir=\(profile.path)",
                       "--window-size=1360,1500"] + arguments + [url]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    static func count(_ needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

    /// The number in `<b id="results-count">N</b>`.
    static func resultsCount(_ dom: String) -> Int? {
        guard let range = dom.range(of: "id=\"results-count\">") else { return nil }
        return Int(dom[range.upperBound...].prefix { $0.isNumber })
    }

    /// The SVG element with this id.
    static func svg(_ id: String, in dom: String) -> String? {
        guard let start = dom.range(of: "<svg"), let at = dom.range(of: "id=\"\(id)\"", range: start.lowerBound..<dom.endIndex) else { return nil }
        let open = dom.range(of: "<svg", options: .backwards, range: dom.startIndex..<at.lowerBound)!.lowerBound
        let close = dom.range(of: "</svg>", range: at.upperBound..<dom.endIndex)!.upperBound
        return String(dom[open..<close])
    }

    @Test(.enabled(if: chromium != nil, "headless Chromium is not installed: scripts/setup.sh installs Debian's chromium"))
    func theDashboardAndTheReportRenderInABrowser() async throws {
        try await offPool {
            let group = try ProcessGroup()
            let config = group.directory.appendingPathComponent("study.yaml").path
            try """
            study: browser
            space: nb201
            strategy: anasod-bo
            budget: 36
            evaluator:
              kind: synthetic
              seconds: 0.5
            """.write(toFile: config, atomically: true, encoding: .utf8)
            let journal = group.directory.appendingPathComponent("browser.sqlite").path
            let (search, _) = try group.start(["search", "--config", config, "--workers", "2", "--journal", journal, "--no-progress-bar"],
                                              name: "search")
            let errors = group.directory.appendingPathComponent("search.err")
            let line = try #require(group.waitForLine(errors, prefix: "dashboard: ", timeout: 60), "the search printed no dashboard address")
            let url = String(line.dropFirst("dashboard: ".count).split(separator: " ")[0])
            #expect(url.hasPrefix("http://127.0.0.1:"))

            // The live page after 6 server-sent updates (`?updates=6`: then it stops following, and the
            // browser dumps it): its counter moved on from what the study had when the page loaded.
            let before = try CommandRunner.run(["status", "--journal", journal]).stdout
            let atLoad = Int(before.split(separator: " ")[2].split(separator: "/")[0]) ?? 0
            let live = url + (url.contains("?") ? "&" : "?") + "updates=6"
            let dom = try Self.browse(live, ["--virtual-time-budget=2000", "--dump-dom"])
            #expect(dom.contains("<body data-updates=\"6\">"), "the page did not follow the event stream")
            let shown = try #require(Self.resultsCount(dom), "no counter on the live page")
            #expect(shown > atLoad, "the live counter did not grow (\(atLoad) before the page loaded, \(shown) after 6 updates)")
            #expect(dom.contains("<table id=\"workers\">") && dom.contains("local-0") && dom.contains("<svg"))
            _ = try Self.browse(url + (url.contains("?") ? "&" : "?") + "updates=2",
                                ["--virtual-time-budget=2000", "--screenshot=\(Self.artifacts.appendingPathComponent("dashboard.png").path)"])

            #expect(group.wait(search, timeout: 120), "the study did not finish")
            #expect(search.terminationStatus == 0)

            // The report of the finished study: every result is a point of the evaluations plot.
            let out = group.directory.appendingPathComponent("report").path
            let made = try CommandRunner.run(["report", "--journal", journal, "--out", out])
            #expect(made.status == 0, "\(made.stderr)")
            let results = try CommandRunner.shell("sqlite3 '\(journal)' 'SELECT COUNT(*) FROM record WHERE kind = 4'")
                .trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(results == "36")
            let report = try Self.browse("file://\(out)/report.html", ["--dump-dom"])
            let plot = try #require(Self.svg("errors", in: report), "no evaluations plot in the report")
            #expect(String(Self.count("class=\"point\"", in: plot)) == results)
            let simplex = try #require(Self.svg("simplex", in: report))
            #expect(String(Self.count("class=\"point\"", in: simplex)) == results)
            #expect(Self.count("<tr><td>", in: report) == 10)
            _ = try Self.browse("file://\(out)/report.html",
                                ["--screenshot=\(Self.artifacts.appendingPathComponent("report.png").path)"])
            #expect(FileManager.default.fileExists(atPath: Self.artifacts.appendingPathComponent("report.png").path))
        }
    }
}
