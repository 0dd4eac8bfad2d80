import ANASOD

/// DARTS's evaluation network (`NetworkCIFAR` of Liu et al.'s reference code) from a genotype: a stem
/// (3×3 convolution to 3C channels, BN), L cells with reduction cells at L/3 and 2L/3 (each doubling C),
/// every cell reading the outputs of the two cells before it, then global average pooling and a linear
/// classifier. Optionally the auxiliary head on the second reduction cell's output (`auxiliary`) and
/// drop-path on every cell's non-identity edges, its probability rising linearly over the epochs
/// (`dropPath` at the last epoch), as the reference training script schedules it.
/// The planes must halve evenly at each reduction (`problem(h:w:…)` says when they do not).
public final class DARTSNetwork: ClassifierNetwork {
    let entry = ChannelMajor()
    let stem: Sequential
    public let cells: [DARTSCell]
    let head: Sequential
    /// The auxiliary classifier and the index of the cell whose output it reads.
    public let auxiliary: (head: AuxiliaryHead, cell: Int)?
    /// Drop-path probability at the last epoch (0: none).
    public let dropPath: Float
    private var gradients = [Tensor]()
    private var auxiliaryOutput: Tensor?

    public init(genotype: Architecture, channels: Int, layers: Int, inputChannels: Int, classes: Int,
                auxiliary: Bool = false, dropPath: Float = 0,
                kernels: ConvolutionKernels = .environment, rng: inout some RandomNumberGenerator) {
        precondition(genotype.cells.count == 2, "a DARTS genotype has a normal and a reduction cell")
        precondition(layers >= 1 && channels >= 1, "a DARTS network needs at least one cell and one channel")
        precondition(!auxiliary || layers >= 3, "the auxiliary head reads the second reduction cell (at least 3 cells)")
        let stemChannels = 3 * channels
        stem = Sequential([Conv2D(inputChannels, stemChannels, kernel: 3, padding: 1, kernels: kernels, rng: &rng),
                           BatchNorm2D(stemChannels)])
        var previousPrevious = stemChannels, previous = stemChannels, current = channels
        var reductionBefore = false
        var cells = [DARTSCell]()
        var auxiliaryHead: (head: AuxiliaryHead, cell: Int)?
        for i in 0..<layers {
            let reduction = Self.isReduction(i, layers: layers)
            if reduction { current *= 2 }
            let cell = DARTSCell(cell: genotype.cells[reduction ? 1 : 0], previousPrevious: previousPrevious, previous: previous,
                                 channels: current, reduction: reduction, reductionBefore: reductionBefore, kernels: kernels, rng: &rng)
            cells.append(cell)
            reductionBefore = reduction
            (previousPrevious, previous) = (previous, cell.outputChannels)
            if auxiliary && i == 2 * layers / 3 {
                auxiliaryHead = (AuxiliaryHead(channels: previous, classes: classes, kernels: kernels, rng: &rng), i)
            }
        }
        self.cells = cells
        self.auxiliary = auxiliaryHead
        self.dropPath = dropPath
        head = Sequential([GlobalAveragePool(), Linear(previous, classes, rng: &rng)])
    }

    /// Whether cell `i` of `layers` is a reduction cell (at L/3 and 2L/3, as the reference code places them).
    public static func isReduction(_ i: Int, layers: Int) -> Bool { i == layers / 3 || i == 2 * layers / 3 }

    /// Why an `h × w` image cannot go through a network of `layers` cells (nil when it can): every plane a
    /// factorised reduce halves must be even, and the auxiliary head needs 8 × 8 where it reads.
    public static func problem(h: Int, w: Int, layers: Int, auxiliary: Bool) -> String? {
        if auxiliary && layers < 3 {
            return "the auxiliary head reads the second reduction cell: a DARTS network with it needs at least 3 cells, not \(layers)"
        }
        var (hh, ww) = (h, w)
        for i in 0..<layers {
            // A reduction cell's skip_connect and the next cell's preprocessing halve this plane by a
            // factorised reduce, which needs it even.
            if isReduction(i, layers: layers) {
                guard hh % 2 == 0, ww % 2 == 0 else {
                    return "a DARTS network of \(layers) cells needs planes that halve evenly at each reduction: "
                        + "\(h)×\(w) images reach \(hh)×\(ww) at cell \(i) (use images whose sides are multiples of 4)"
                }
                (hh, ww) = (hh / 2, ww / 2)
            }
            if auxiliary && i == 2 * layers / 3 && !AuxiliaryHead.reads(h: hh, w: ww) {
                return "the auxiliary head needs at least \(AuxiliaryHead.minimumPlane)×\(AuxiliaryHead.minimumPlane) at the "
                    + "second reduction, but \(h)×\(w) images give \(hh)×\(ww) (32×32 images give 8×8; set auxiliary_weight to 0)"
            }
        }
        return nil
    }

    public var parameters: [Parameter] {
        stem.parameters + cells.flatMap(\.parameters) + head.parameters + (auxiliary?.head.parameters ?? [])
    }

    /// Parameters without the auxiliary head (what the DARTS paper reports as the model size).
    public var evaluationParameterCount: Int { parameterCount - (auxiliary?.head.parameters.reduce(0) { $0 + $1.count } ?? 0) }

    public func multiplyAccumulates(h: Int, w: Int) -> Int {
        var total = stem.multiplyAccumulates(h: h, w: w)
        var planes = [(h, w), (h, w)]  // the two inputs of the next cell
        for cell in cells {
            total += cell.multiplyAccumulates(h: planes[1].0, w: planes[1].1)
            planes = [planes[1], cell.outputSize(h: planes[1].0, w: planes[1].1)]
        }
        return total + head.multiplyAccumulates(h: planes[1].0, w: planes[1].1)
    }

    public func beginEpoch(_ epoch: Int, of epochs: Int) {
        let p = dropPath * Float(epoch - 1) / Float(max(1, epochs))
        for cell in cells { cell.dropProbability = p }
    }

    public var auxiliaryLogits: Tensor? { auxiliaryOutput }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        let s = stem.forward(entry.forward(x, training: training), training: training)
        var (s0, s1) = (s, s)
        auxiliaryOutput = nil
        for (i, cell) in cells.enumerated() {
            (s0, s1) = (s1, cell.forward(s0, s1, training: training))
            if training, let auxiliary, auxiliary.cell == i { auxiliaryOutput = auxiliary.head.forward(s1, training: true) }
        }
        return head.forward(s1, training: training)
    }

    public func backward(_ gradLogits: Tensor, auxiliary gradAuxiliary: Tensor?) {
        // State t (0, 1: the stem's output; t ≥ 2: cell t − 2's): gradients summed from every reader.
        let count = cells.count + 2
        while gradients.count < count { gradients.append(Tensor(n: 0, c: 0)) }
        let top = head.backward(gradLogits)
        for t in 0..<count { gradients[t].resize(n: 0, c: 0, h: 0, w: 0) }
        func add(_ g: Tensor, to t: Int) {
            let target = gradients[t]
            if target.count == 0 {
                target.resize(n: g.n, c: g.c, h: g.h, w: g.w)
                target.data.replaceSubrange(0..<g.count, with: g.data.prefix(g.count))
            } else {
                for j in 0..<target.count { target.data[j] += g.data[j] }
            }
        }
        add(top, to: count - 1)
        if let gradAuxiliary, let auxiliary, auxiliaryOutput != nil {
            add(auxiliary.head.backward(gradAuxiliary), to: auxiliary.cell + 2)
        }
        for (k, cell) in cells.enumerated().reversed() {
            let (d0, d1) = cell.backward(gradients[k + 2])
            add(d0, to: k)
            add(d1, to: k + 1)
        }
        add(gradients[1], to: 0)  // the stem's output is both of the first cell's inputs
        _ = stem.backward(gradients[0])
    }
}
