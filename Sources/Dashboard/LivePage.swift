import Cluster
import Foundation
import Journal

/// The dashboard's page: the report's views (`ReportPage`) of the journal so far, above the live
/// counters, the jobs in flight with their current epoch and the workers with their heartbeats. The page
/// is a shell whose script replaces its content with each server-sent `update` event (`/events`); the
/// fragments are rendered here, on the server, so the page needs nothing from the network.
final class LivePage: @unchecked Sendable {
    private let journalPath: String
    private let lock = NSLock()
    /// The GP's plot, refit at most every `gpInterval` seconds (a fit over many results takes a while).
    private var gpChart: (svg: String, results: Int, time: Double)?
    private let gpInterval: Double
    /// The charts and top table, read from the journal again only when the study changed (every event
    /// stream and page shares them).
    let chartsOnChange = ComputedOnChange<DashboardState.JournalMarker, String>()

    init(journalPath: String, gpInterval: Double = 30) {
        self.journalPath = journalPath
        self.gpInterval = gpInterval
    }

    /// The live fragment for a status.
    func fragment(_ state: DashboardState) -> String {
        let esc = SVGChart.escape
        var s = "<p class=\"summary\"><span class=\"\(state.finished ? "done" : "live")\">\(state.finished ? "finished" : "● live")</span> · "
            + "<b id=\"results-count\">\(state.results)</b>/\(state.budget) results"
            + ((state.stopped ?? 0) > 0 ? " (\(state.stopped!) stopped early)" : "") + " · \(state.running) running · \(state.queued) queued · "
            + "\(state.failed) failed · \(state.workers.count) workers · \(ProgressLine.duration(state.elapsedSeconds))"
        let values = state.bestAndRecommended.html()
        if !values.isEmpty { s += " · " + values }
        if state.refusedMessages > 0 {
            s += " · <span class=\"warn\">\(state.refusedMessages) refused messages"
                + (state.refusedByKeySummary.map { " (by key: \(esc($0)))" } ?? "") + "</span>"
        }
        for (key, reason) in (state.quarantinedKeys ?? [:]).sorted(by: { $0.key < $1.key }) {
            s += "<br><span class=\"warn\">quarantined key \(esc(key)): \(esc(reason))</span>"
        }
        if let reason = state.abortReason { s += "<br><span class=\"warn\">stopped: \(esc(reason))</span>" }
        s += "</p>\n"
        s += "<h2>Jobs in flight</h2>\n<table id=\"jobs\"><tr><th>job</th><th>attempt</th><th>worker</th><th>epoch</th>"
            + "<th>lease left</th><th>architecture</th></tr>\n"
        for j in state.jobs {
            s += "<tr><td>\(j.job)</td><td>\(j.attempt)</td><td>\(esc(j.worker))</td><td>\(j.epoch.map(String.init) ?? "—")</td>"
                + "<td>\(String(format: "%.0f s", j.secondsLeft))</td><td><code>\(esc(j.architecture))</code></td></tr>\n"
        }
        s += "</table>\n<h2>Workers</h2>\n<table id=\"workers\"><tr><th>worker</th><th>host</th><th>jobs</th><th>evaluators</th>"
            + "<th>last heard</th><th>state</th></tr>\n"
        for w in state.workers {
            s += "<tr><td>\(esc(w.id))</td><td>\(esc(w.host))</td><td>\(w.jobs)/\(w.slots)</td><td>\(esc(w.evaluators.joined(separator: " ")))</td>"
                + "<td>\(String(format: "%.1f s ago", w.silentSeconds))</td><td>\(esc(w.state))</td></tr>\n"
        }
        s += "</table>\n"
        do {
            s += try chartsOnChange.value(for: state.journalMarker) { try charts() } ?? ""
        } catch {
            // Not kept: the next fragment reads the journal again.
            s += "<p class=\"warn\">Cannot read the journal: \(esc("\(error)"))</p>\n"
        }
        return s
    }

    /// The report's plots and top-10 table from the journal as it is now (a line saying so before the first
    /// result), after the Pareto front's line for a study of several objectives.
    /// - Throws: what reading the journal threw (the fragment says it).
    private func charts() throws -> String {
        guard let page = try ReportPage.current(journalPath: journalPath), !page.histories[0].results.isEmpty else {
            return "<p>No results yet.</p>\n"
        }
        let results = page.histories[0].results.count, now = ProcessInfo.processInfo.systemUptime
        let refitGP = lock.withLock { gpChart.map { $0.results != results && now - $0.time >= gpInterval } ?? true }
        // A study of several objectives: its front in one line, above the plots.
        var s = page.pareto.map { "<p class=\"summary\" id=\"pareto\">\(SVGChart.escape($0.statusLine))</p>\n" } ?? ""
        let cached = refitGP ? nil : lock.withLock { gpChart }
        let figures = page.figures(includeGP: refitGP)
        for chart in figures.charts {
            if chart.name == "gp" { lock.withLock { gpChart = (chart.svg, results, now) } }
            if chart.name == "timeline", let cached {  // where the GP's plot stands in the report
                s += "<figure>\(cached.svg)<figcaption>The GP's view as of result \(cached.results) (refit at most every "
                    + "\(Int(gpInterval)) s).</figcaption></figure>\n"
            }
            s += "<figure>\(chart.svg)<figcaption>\(SVGChart.escape(chart.caption))</figcaption></figure>\n"
        }
        return s + ReportPage.omittedHTML(figures.omitted) + page.topTableHTML()
    }

    /// The page itself: a shell, the first fragment, and the script that follows `/events`.
    func page(_ state: DashboardState, token: String?) -> String {
        let query = token.map { "?token=" + ($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "") } ?? ""
        return """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>ANASOD dashboard: \(SVGChart.escape(state.study))</title>
        <style>\(ReportPage.style).warn{color:#d62728}.done{color:#555;font-weight:bold}</style></head><body>
        <h1>Study <span id="study">\(SVGChart.escape(state.study))</span></h1>
        <div id="content">\(fragment(state))</div>
        <script>
        (function () {
          var source = new EventSource("events\(query)");
          // ?updates=N: follow N updates, then stop (a snapshot for a screenshot or a test).
          var limit = Number(new URLSearchParams(location.search).get("updates")) || 0, updates = 0;
          source.addEventListener("update", function (e) {
            document.getElementById("content").innerHTML = JSON.parse(e.data).html;
            document.body.setAttribute("data-updates", String(++updates));
            if (limit > 0 && updates >= limit) { source.close(); }
          });
          source.addEventListener("finished", function () { source.close(); });
        })();
        </script>
        </body></html>
        """
    }
}
