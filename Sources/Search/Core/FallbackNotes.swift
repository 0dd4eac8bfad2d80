import BayesOpt

/// A strategy's notes for its caller (`SearchStrategy.takeNotes()`), kept until taken: at most `limit`
/// (a caller that never asks, a benchmark, must not make them grow without bound), then a count of the rest.
struct FallbackNotes: Sendable {
    private var kept = [String]()
    private var dropped = 0
    let limit = 32

    mutating func add(_ note: String) {
        if kept.count < limit { kept.append(note) } else { dropped += 1 }
    }

    /// Notes the fallback a batch selection took, if any, as "<strategy>: the batch of <what>: <fallback>".
    /// - Returns: whether there was one (the strategy counts it in its `fallbacks`).
    mutating func add(_ fallback: BatchSelection.Fallback?, strategy: String, batch: String) -> Bool {
        guard let fallback else { return false }
        add("\(strategy): the batch of \(batch): \(fallback)")
        return true
    }

    mutating func take() -> [String] {
        defer { (kept, dropped) = ([], 0) }
        return dropped == 0 ? kept : kept + ["\(dropped) more like these"]
    }
}
