import Foundation

extension ReportPage {
    /// A study of several objectives (issue 30): every trained cell in the plane of the first two objectives, the
    /// front highlighted and joined as a staircase, and the hypervolume after each result.
    static func paretoCharts(_ pareto: StudyPareto) -> [(String, String, String)] {
        guard pareto.points.count >= 1 else { return [] }
        let (xName, yName) = (pareto.names[1], pareto.names[0])
        func tip(_ p: StudyPareto.Point) -> String {
            "job \(p.job): " + zip(pareto.names, p.objectives).map { "\($0) \(StudyPareto.format($1))" }.joined(separator: ", ")
                + " — \(p.architecture)"
        }
        let members = Set(pareto.front)
        var plane = SVGChart(id: "pareto", title: "Pareto front: \(yName) against \(xName)", xLabel: xName, yLabel: "validation error (%)")
        plane.yRange = SVGChart.focused(pareto.points.map { $0.objectives[0] })
        plane.marks.append(.points(pareto.points.enumerated().filter { !members.contains($0.offset) }
                                       .map { .init($0.element.objectives[1], $0.element.objectives[0], color: "#bbbbbb", title: tip($0.element)) },
                                   color: "#bbbbbb", label: "dominated", radius: 3))
        let front = pareto.front.map { pareto.points[$0] }.sorted { $0.objectives[1] < $1.objectives[1] }
        plane.marks.append(.step(front.map { .init($0.objectives[1], $0.objectives[0]) }, color: "#d62728", label: nil))
        plane.marks.append(.points(front.map { .init($0.objectives[1], $0.objectives[0], color: "#d62728", title: tip($0)) },
                                   color: "#d62728", label: "front (\(front.count))", radius: 4.5))
        var volume = SVGChart(id: "hypervolume", title: "Hypervolume", xLabel: "evaluations (trained to the end)",
                              yLabel: "normalised hypervolume")
        volume.marks.append(.step(pareto.hypervolume.enumerated().map { .init(Double($0.offset + 1), $0.element) },
                                  color: "#1f77b4", label: nil))
        let box = zip(pareto.names, zip(pareto.ideal, pareto.reference))
            .map { "\($0) \(StudyPareto.format($1.0)) … \(StudyPareto.format($1.1))" }.joined(separator: ", ")
        return [("pareto", "Every cell trained to the end (grey) and the Pareto front (red) of \(pareto.names.joined(separator: " and "))"
                 + (pareto.names.count > 2 ? " (the plane of the first two)" : "") + ".", plane.render()),
                ("hypervolume", "The share of the box between the best and the worst value of each objective among the results "
                 + "(\(box)) that the results so far dominate.", volume.render())]
    }
}
