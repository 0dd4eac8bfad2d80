/// A strategy's notes for its caller (`SearchStrategy.takeNotes()`), kept until taken: at most `limit`
/// (a caller that never asks, a benchmark, must not make them grow without bound), then a count of the rest.
struct FallbackNotes: Sendable {
    private var kept = [String]()
    private var dropped = 0
    let limit = 32

    mutating func add(_ note: String) {
        if kept.count < limit { kept.append(note) } else { dropped += 1 }
    }

    mutating func take() -> [String] {
        defer { (kept, dropped) = ([], 0) }
        return dropped == 0 ? kept : kept + ["\(dropped) more like these"]
    }
}
