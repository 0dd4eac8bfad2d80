import TrainerKernels

/// The depthwise convolution on the AVX-512 shifted-row kernels (`DepthwiseKernels`), per plane of each
/// channel:
/// - forward: the plane is copied into a zero-padded grid (rows `rowStride` apart; for stride 2 its four
///   phases, so that every tap still reads a grid at a shift), the output computed at every grid position
///   of its rows (the columns past the plane's edge are computed and dropped) and the valid ones copied out;
/// - weight gradient: dW[t] += Σ_q dY[q] · grid[q + offset[t]], with dY copied onto the grid's rows (zeros
///   in the dropped columns, so they add nothing);
/// - input gradient: the padded input's gradient at P is Σ_t W[t] · dY[P − offset[t]] (per phase for
///   stride 2, over the taps that read it): the same weighted sum of shifted rows, over dY placed after a
///   margin of zeros; a dropped column of dY (zero) is what a shift past a row's start reads.
/// Channels run in parallel, each channel's planes in sample order on one thread, so results do not
/// depend on the thread count.
final class DepthwiseRows: DepthwiseAlgorithm {
    let geometry: DepthwiseGeometry
    private let grids = Scratch(), rows = Scratch(), gradients = Scratch(), results = Scratch()

    private var layouts: [Int: Layout] = [:]

    init(_ geometry: DepthwiseGeometry) { self.geometry = geometry }

    private func layout(h: Int, w: Int) -> Layout {
        let key = h << 32 | w
        if let layout = layouts[key] { return layout }
        let layout = Layout(geometry, h: h, w: w)
        layouts[key] = layout
        return layout
    }

    /// The padded grid of one input size, made once per size (`layout(h:w:)`).
    private final class Layout {
        /// Phases (1 or 4), grid rows and row length (of a phase), floats per phase, zeros before dY.
        let phases: Int, gridHeight: Int, rowStride: Int, phaseStride: Int, margin: Int
        let ho: Int, wo: Int
        /// Output positions computed per plane: the output's rows at the grid's row length.
        let outputCount: Int
        /// Positions of a phase's input gradient: all its rows.
        let phaseCount: Int
        /// Tap t reads the grid at forward[t]. The input gradient of phase f reads dY (after the margin) at
        /// backward[i] with weight W[backwardTaps[i]] for i in phaseStarts[f]..<phaseStarts[f + 1].
        let forward: UnsafeMutablePointer<Int>
        let backward: UnsafeMutablePointer<Int>
        let backwardTaps: [Int]
        let phaseStarts: [Int]

        init(_ g: DepthwiseGeometry, h: Int, w: Int) {
            let s = g.stride, p = g.padding, k = g.kernel, d = g.dilation
            (ho, wo) = g.outputSize(h: h, w: w)
            phases = s * s
            gridHeight = (h + 2 * p + s - 1) / s
            rowStride = (w + 2 * p + s - 1) / s
            outputCount = Self.round16(ho * rowStride)
            phaseCount = Self.round16(gridHeight * rowStride)
            // Reads run at most (k − 1)·d / s rows and columns past a position, and up to 15 past a count.
            phaseStride = Self.round16(gridHeight * rowStride + rowStride + 2 * 16)
            let reach = (k - 1) * d / s
            margin = Self.round16(reach * rowStride + reach)
            var forward = [Int](), backward = [[Int]](repeating: [], count: s * s), taps = [[Int]](repeating: [], count: s * s)
            for ky in 0..<k {
                for kx in 0..<k {
                    let (dy, dx) = (ky * d, kx * d)
                    let phase = (dy % s) * s + dx % s, shift = (dy / s) * rowStride + dx / s
                    forward.append(phase * phaseStride + shift)
                    backward[phase].append(margin - shift)
                    taps[phase].append(ky * k + kx)
                }
            }
            self.forward = .allocate(capacity: forward.count)
            self.forward.initialize(from: forward, count: forward.count)
            self.backward = .allocate(capacity: forward.count)
            self.backward.initialize(from: backward.flatMap { $0 }, count: forward.count)
            backwardTaps = taps.flatMap { $0 }
            phaseStarts = backward.reduce(into: [0]) { $0.append($0.last! + $1.count) }
        }

        deinit {
            forward.deallocate()
            backward.deallocate()
        }

        static func round16(_ n: Int) -> Int { (n + 15) / 16 * 16 }

        /// Floats of the dY buffer: the margin, the output rows on the grid, reads up to 15 past a count.
        var rowsSize: Int { margin + Self.round16((gridHeight + 1) * rowStride) + 32 }
    }

    func forward(_ x: Tensor, weights: [Float], rectify: Bool, into output: Tensor) {
        let n = x.n, h = x.h, w = x.w, g = geometry, layout = layout(h: h, w: w), k2 = g.kernel * g.kernel
        output.resize(n: n, c: g.channels, h: layout.ho, w: layout.wo)
        let threads = Parallel.threads, gridSize = layout.phases * layout.phaseStride
        grids.reserve(slots: threads, count: gridSize)
        results.reserve(slots: threads, count: layout.outputCount + 16)
        x.data.withUnsafeBufferPointer { xp in
            output.data.withUnsafeMutableBufferPointer { yp in
                weights.withUnsafeBufferPointer { wp in
                    do {
                        let offsets = UnsafePointer(layout.forward)
                        let xb = xp.baseAddress!, yb = yp.baseAddress!, wb = wp.baseAddress!
                        Parallel.chunks(g.channels, threads: threads) { range, slot in
                            let grid = grids[slot], wide = results[slot]
                            grid.update(repeating: 0, count: gridSize)
                            for c in range {
                                for s in 0..<n {
                                    let plane = (c * n + s)
                                    DepthwiseKernels.pack(xb + plane * h * w, h: h, w: w, padding: g.padding, stride: g.stride, rectify: rectify,
                                                          rowStride: layout.rowStride, phaseStride: layout.phaseStride, into: grid)
                                    DepthwiseKernels.taps(wb + c * k2, offsets: offsets, taps: k2, base: grid,
                                                          count: layout.outputCount, into: wide)
                                    let out = yb + plane * layout.ho * layout.wo
                                    DepthwiseKernels.copyRows(wide, srcStride: layout.rowStride, into: out, dstStride: layout.wo,
                                                              count: layout.ho, width: layout.wo)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    func backward(_ x: Tensor, _ dy: Tensor, weights: [Float], rectify: Bool, weightGradient: inout [Float], gradInput: Tensor) {
        let n = x.n, h = x.h, w = x.w, g = geometry, layout = layout(h: h, w: w), k2 = g.kernel * g.kernel
        precondition(dy.h == layout.ho && dy.w == layout.wo && dy.n == n && dy.c == g.channels, "output gradient of the wrong shape")
        gradInput.resize(n: n, c: g.channels, h: h, w: w)
        let threads = Parallel.threads, gridSize = layout.phases * layout.phaseStride
        grids.reserve(slots: threads, count: gridSize)
        rows.reserve(slots: threads, count: layout.rowsSize)
        gradients.reserve(slots: threads, count: gridSize)
        results.reserve(slots: threads, count: 2 * k2)
        x.data.withUnsafeBufferPointer { xp in
            dy.data.withUnsafeBufferPointer { dyp in
                gradInput.data.withUnsafeMutableBufferPointer { dxp in
                    weights.withUnsafeBufferPointer { wp in
                        weightGradient.withUnsafeMutableBufferPointer { gp in
                            let xb = xp.baseAddress!, db = dyp.baseAddress!, dxb = dxp.baseAddress!, wb = wp.baseAddress!, gb = gp.baseAddress!
                            let forwardOffsets = UnsafePointer(layout.forward), backwardOffsets = UnsafePointer(layout.backward)
                            let phaseStarts = layout.phaseStarts
                            Parallel.chunks(g.channels, threads: threads) { range, slot in
                                let grid = grids[slot], back = rows[slot], dgrid = gradients[slot], tapWeights = results[slot]
                                grid.update(repeating: 0, count: gridSize)
                                back.update(repeating: 0, count: layout.rowsSize)
                                for c in range {
                                    // This channel's weights, grouped by the phase they read.
                                    for (i, t) in layout.backwardTaps.enumerated() { tapWeights[i] = wb[c * k2 + t] }
                                    for s in 0..<n {
                                        let plane = c * n + s, source = xb + plane * h * w
                                        DepthwiseKernels.pack(source, h: h, w: w, padding: g.padding, stride: g.stride, rectify: rectify,
                                                              rowStride: layout.rowStride, phaseStride: layout.phaseStride, into: grid)
                                        let grad = db + plane * layout.ho * layout.wo, rowsStart = back + layout.margin
                                        DepthwiseKernels.copyRows(grad, srcStride: layout.wo, into: rowsStart, dstStride: layout.rowStride,
                                                                  count: layout.ho, width: layout.wo)
                                        DepthwiseKernels.tapDots(rowsStart, offsets: forwardOffsets, taps: k2, base: grid,
                                                                 count: layout.outputCount, into: gb + c * k2)
                                        for phase in 0..<layout.phases {
                                            let first = phaseStarts[phase]
                                            DepthwiseKernels.taps(tapWeights + first, offsets: backwardOffsets + first,
                                                                  taps: phaseStarts[phase + 1] - first, base: back,
                                                                  count: layout.phaseCount, into: dgrid + phase * layout.phaseStride)
                                        }
                                        DepthwiseKernels.unpack(dgrid, h: h, w: w, padding: g.padding, stride: g.stride,
                                                                rowStride: layout.rowStride, phaseStride: layout.phaseStride,
                                                                into: dxb + plane * h * w, mask: rectify ? source : nil)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
