import ANASOD

extension ArchitectureEncoding {
    /// The GP input of op counts the space itself produced (a pool draw, an observed cell's counts): counts on
    /// the grid of the space cannot fail to encode, so a failure is a programming error, not bad input.
    static func gridVector(_ counts: [[Int]]) -> [Double] {
        do {
            return try ArchitectureEncoding(counts: counts).vector
        } catch {
            preconditionFailure("counts on the grid of the space: \(error)")
        }
    }
}
