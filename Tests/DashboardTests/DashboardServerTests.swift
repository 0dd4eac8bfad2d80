import ANASOD
@testable import Cluster
@testable import Dashboard
import Evaluation
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Journal
import Logging
import Prometheus
import TestSupport
import Testing
import Wire

/// The dashboard of a real (in-process) study on a real SQLite journal, over real HTTP: `/metrics` parsed
/// as Prometheus text and checked against the journal, `/api/state`, the page, the event stream, and the
/// token beyond loopback.
@Suite(.serialized) struct DashboardServerTests {
    /// A finished study with retried failures: its journal, its coordinator and the metrics registry.
    static func study(budget: Int = 20) async throws -> (coordinator: Coordinator, journal: SQLiteJournal, path: String,
                                                         registry: PrometheusCollectorRegistry) {
        var c = StudyConfiguration(study: "dash")
        c.budget = budget
        c.strategy = .init(.rs)
        c.evaluator.kind = .synthetic
        c.evaluator.failRate = 0.3
        c.heartbeatInterval = 0.2
        c.workerTimeout = 2
        c.maxAttempts = 10
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("dash-\(UUID().uuidString).sqlite").path
        let journal = try SQLiteJournal(path: path)
        let registry = PrometheusCollectorRegistry()
        let metrics = ClusterMetrics(study: c.study, factory: PrometheusMetricsFactory(registry: registry))
        let cluster = try InProcessCluster(configuration: c, journal: journal, metrics: metrics)
        for i in 0..<2 { cluster.addWorker(id: "w\(i)", slots: 2) }
        _ = try await cluster.finish()
        return (cluster.coordinator, journal, path, registry)
    }

    static func get(_ url: String, token: String? = nil) async throws -> (status: Int, body: String, type: String) {
        var request = URLRequest(url: URL(string: url)!, timeoutInterval: 10)
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as! HTTPURLResponse
        return (http.statusCode, String(decoding: data, as: UTF8.self), http.value(forHTTPHeaderField: "Content-Type") ?? "")
    }

    /// A parser of Prometheus's text exposition format (0.0.4): `# HELP`/`# TYPE` lines, then
    /// `name{label="value",…} number` samples. Throws on any other line.
    static func parsePrometheus(_ text: String) throws -> [String: [(labels: [String: String], value: Double)]] {
        struct Bad: Error { let line: String }
        var out = [String: [(labels: [String: String], value: Double)]]()
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix("# HELP ") || line.hasPrefix("# TYPE ") { continue }
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...].replacingOccurrences(of: "+Inf", with: "inf"))
            else { throw Bad(line: String(line)) }
            let series = line[..<space]
            var labels = [String: String]()
            let name: Substring
            if let open = series.firstIndex(of: "{") {
                guard series.last == "}" else { throw Bad(line: String(line)) }
                name = series[..<open]
                for pair in series[series.index(after: open)..<series.index(before: series.endIndex)].split(separator: ",") {
                    let kv = pair.split(separator: "=", maxSplits: 1)
                    guard kv.count == 2, kv[1].hasPrefix("\""), kv[1].hasSuffix("\"") else { throw Bad(line: String(line)) }
                    labels[String(kv[0])] = String(kv[1].dropFirst().dropLast())
                }
            } else {
                name = series
            }
            guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == ":" }) else { throw Bad(line: String(line)) }
            out[String(name), default: []].append((labels, value))
        }
        return out
    }

    @Test func metricsStateAndPageMatchTheJournal() async throws {
        let (coordinator, journal, path, registry) = try await Self.study()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let dashboard = DashboardServer(host: "127.0.0.1", port: 0, journalPath: path, registry: registry, interval: 0.2,
                                        logger: Logger(label: "dash"), status: { coordinator.status })
        let base = try await dashboard.start()
        #expect(dashboard.token == nil && base.hasPrefix("http://127.0.0.1:"))
        let records = try journal.records()
        let results = records.filter { if case .result = $0 { true } else { false } }.count
        let retried = records.filter { if case .failure(_, _, _, _, _, false, _) = $0 { true } else { false } }.count
        #expect(results == 20 && retried > 0)

        let metrics = try await Self.get(base + "metrics")
        #expect(metrics.status == 200 && metrics.type.hasPrefix("text/plain"))
        let samples = try Self.parsePrometheus(metrics.body)
        func value(_ name: String) -> Double? { samples[name]?.first { $0.labels["study"] == "dash" }?.value }
        #expect(value("anasod_evaluations_total") == Double(results))
        #expect(value("anasod_evaluations_retried_total") == Double(retried))
        #expect(value("anasod_evaluations_failed_total") == 0)
        #expect(value("anasod_queue_depth") == 0 && value("anasod_leases_in_flight") == 0)
        let best = records.compactMap { r -> Double? in if case .result(_, _, _, let m, _) = r { m.validationError } else { nil } }.min()
        #expect(value("anasod_best_validation_error") == best)
        // One latency per result whose worker got another job; one proposal time per propose call.
        let proposeCalls = records.filter { if case .proposed = $0 { true } else { false } }.count
        #expect(value("anasod_proposal_seconds_count") == Double(proposeCalls))
        #expect((value("anasod_result_to_job_seconds_count") ?? 0) > 0)
        for name in ClusterMetrics.names {
            #expect(samples[name] != nil || samples[name + "_count"] != nil, "\(name) is served")
        }

        let state = try JSONDecoder().decode(DashboardState.self, from: Data(try await Self.get(base + "api/state").body.utf8))
        #expect(state.results == 20 && state.finished && state.study == "dash" && state.bestError == best)

        let page = try await Self.get(base)
        #expect(page.status == 200 && page.body.contains("id=\"results-count\">20<"))
        #expect(page.body.contains("new EventSource(\"events\")"))
        let report = try await Self.get(base + "report")
        #expect(report.status == 200 && report.body.components(separatedBy: "class=\"point\"").count - 1 >= 2 * 20)

        // A finished study's stream: one update, then `finished`.
        let events = try await Self.get(base + "events")
        #expect(events.type.hasPrefix("text/event-stream"))
        #expect(events.body.hasPrefix("event: update\ndata: {") && events.body.hasSuffix("event: finished\ndata: {}\n\n"))
        await dashboard.stop()
    }

    @Test func beyondLoopbackEveryRequestNeedsTheToken() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("dash-\(UUID().uuidString).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let dashboard = DashboardServer(host: "0.0.0.0", port: 0, journalPath: path, registry: PrometheusCollectorRegistry(),
                                        logger: Logger(label: "dash"), status: { CoordinatorStatus(study: "s", budget: 1, successes: 0, failed: 0,
                                                                                                   running: 0, queued: 0, workers: 0, best: nil,
                                                                                                   finished: false, elapsed: 0) })
        let url = try await dashboard.start()
        let token = try #require(dashboard.token)
        #expect(token.count == 64 && url.hasSuffix("/?token=\(token)"))
        let port = try #require(URLComponents(string: url)?.port)
        let base = "http://127.0.0.1:\(port)/"
        for route in ["", "api/state", "metrics", "events", "report"] {
            #expect(try await Self.get(base + route).status == 401, "/\(route) without a token")
            #expect(try await Self.get(base + route, token: String(token.reversed())).status == 401, "/\(route) with a wrong token")
        }
        #expect(try await Self.get(base + "api/state", token: token).status == 200)
        #expect(try await Self.get(base + "metrics?token=\(token)").status == 200)
        await dashboard.stop()
    }

    @Test func addressesAreParsedOrRefused() throws {
        #expect(try DashboardServer.parse("127.0.0.1:8265") == ("127.0.0.1", 8265))
        #expect(try DashboardServer.parse("[::1]:0") == ("::1", 0))
        for bad in ["8265", "host:", ":80", "host:99999", "host:http"] {
            #expect(throws: ClusterError.self) { try DashboardServer.parse(bad) }
        }
        #expect(DashboardServer.isLoopback("127.0.0.1") && DashboardServer.isLoopback("localhost") && !DashboardServer.isLoopback("0.0.0.0"))
    }
}

/// The Grafana dashboard shipped in cluster/ queries only metrics the coordinator serves, and all of them.
@Suite struct GrafanaDashboardTests {
    @Test func everyQueriedMetricIsServed() throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("cluster/grafana-dashboard.json")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
        let panels = try #require(object["panels"] as? [[String: Any]])
        let expressions = panels.flatMap { ($0["targets"] as? [[String: Any]] ?? []).compactMap { $0["expr"] as? String } }
        let queried = Set(expressions.flatMap { e in
            e.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_") }).map(String.init).filter { $0.hasPrefix("anasod_") }
        }.map { $0.replacingOccurrences(of: "_bucket", with: "") })
        #expect(queried == Set(ClusterMetrics.names))
    }
}
