import ANASOD
import ArgumentParser

/// `anasod decode`: cells drawn from an operation distribution.
struct Decode: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw cells from an operation distribution with the rounding or the sampling decoder.")

    @Option(help: ArgumentHelp(SpaceArgument.help, valueName: "space"), transform: SpaceArgument.parse)
    var space: StudySpace = .nb201

    @Option(name: .long, parsing: .singleValue,
            help: "Operation distribution, comma-separated, one per cell type (repeat the option for DARTS: normal, then reduce).")
    var distribution: [String] = []

    @Option(help: "Decoder: rounding (exact counts) or sampling (i.i.d. per slot).")
    var decoder: String = "rounding"

    @Option(help: "How many cells to draw.")
    var count: Int = 5

    @Option(help: "Random seed.")
    var seed: UInt64 = 0

    func run() throws {
        let space = self.space.space
        guard distribution.count == space.cellTypes.count else {
            throw ValidationError("\(space.name) needs \(space.cellTypes.count) --distribution value(s) (\(space.cellTypes.joined(separator: ", "))), got \(distribution.count)")
        }
        guard count >= 0 else { throw ValidationError("--count must be non-negative") }
        let parts = try distribution.map { try OperationDistribution(parsing: $0, operations: space.operationCount) }
        let encoding = ArchitectureEncoding(parts: parts)
        var rng = SeededGenerator(seed: seed)
        print("operations: \(space.operations.joined(separator: ", "))")
        print("encoding:   \(encoding)  → counts \(encoding.counts(slots: space.slotsPerCell))")
        for _ in 0..<count {
            let arch: Architecture
            switch decoder {
            case "rounding": arch = space.roundingDecode(encoding, using: &rng)
            case "sampling": arch = space.samplingDecode(encoding, using: &rng)
            default: throw ValidationError("--decoder must be 'rounding' or 'sampling', got '\(decoder)'")
            }
            print(space.format(arch))
        }
    }
}

/// `anasod encode`: the operation distribution of an architecture string.
struct Encode: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the operation distribution of an architecture.")

    @Option(help: ArgumentHelp(SpaceArgument.help, valueName: "space"), transform: SpaceArgument.parse)
    var space: StudySpace = .nb201

    @Argument(help: "The architecture string.")
    var architecture: String

    func run() throws {
        let space = self.space.space
        let arch = try space.parse(architecture)
        try space.validate(arch)
        print("counts:   \(space.counts(of: arch))")
        print("encoding: \(space.encode(arch))")
    }
}
