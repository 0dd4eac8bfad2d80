import TrainerKernels

/// Whole-tensor sums, masks and ReLUs, split across the trainer's threads (SIMD8 lanes, scalar tails; the
/// 16-float `Streams` loops where `Vector.wide`). Each element is computed by one thread with the same
/// arithmetic, so results do not depend on the thread count.
enum Elementwise {
    /// Elements per thread below which a loop stays on one thread.
    static let minimumPerThread = 1 << 15

    /// dst += src (same shapes).
    static func add(_ src: Tensor, into dst: Tensor) {
        precondition(src.count == dst.count, "adding tensors of different sizes")
        src.data.withUnsafeBufferPointer { s in
            dst.data.withUnsafeMutableBufferPointer { d in
                Parallel.chunks(src.count, minimum: minimumPerThread) { range, _ in
                    sum(UnsafePointer(d.baseAddress!), s.baseAddress!, into: d.baseAddress!, range)
                }
            }
        }
    }

    /// out = a + b (out takes a's shape).
    static func sum(_ a: Tensor, _ b: Tensor, into out: Tensor) {
        precondition(a.count == b.count, "adding tensors of different sizes")
        out.resize(like: a)
        a.data.withUnsafeBufferPointer { ap in
            b.data.withUnsafeBufferPointer { bp in
                out.data.withUnsafeMutableBufferPointer { op in
                    Parallel.chunks(a.count, minimum: minimumPerThread) { range, _ in
                        sum(ap.baseAddress!, bp.baseAddress!, into: op.baseAddress!, range)
                    }
                }
            }
        }
    }

    /// The sum of one or more same-shaped tensors: the tensor itself when there is one (no copy),
    /// otherwise written into `out` in one pass (three or more: the first three together, then one pass
    /// for each further one).
    static func total(_ terms: [Tensor], into out: Tensor) -> Tensor {
        precondition(!terms.isEmpty, "summing no tensors")
        if terms.count == 1 { return terms[0] }
        if terms.count == 2 {
            sum(terms[0], terms[1], into: out)
            return out
        }
        let a = terms[0], b = terms[1], c = terms[2]
        precondition(a.count == b.count && a.count == c.count, "adding tensors of different sizes")
        out.resize(like: a)
        a.data.withUnsafeBufferPointer { ap in
            b.data.withUnsafeBufferPointer { bp in
                c.data.withUnsafeBufferPointer { cp in
                    out.data.withUnsafeMutableBufferPointer { op in
                        Parallel.chunks(a.count, minimum: minimumPerThread) { range, _ in
                            sum(ap.baseAddress!, bp.baseAddress!, cp.baseAddress!, into: op.baseAddress!, range)
                        }
                    }
                }
            }
        }
        for t in terms.dropFirst(3) { add(t, into: out) }
        return out
    }

    @inline(__always)
    private static func sum(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>,
                            _ range: Range<Int>) {
        if Vector.wide { return Streams.sum(a, b, into: out, range) }
        var i = range.lowerBound
        while i + 8 <= range.upperBound {
            Vector.store(Vector.load(a + i) + Vector.load(b + i), out + i)
            i += 8
        }
        while i < range.upperBound {
            out[i] = a[i] + b[i]
            i += 1
        }
    }

    @inline(__always)
    private static func sum(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafePointer<Float>,
                            into out: UnsafeMutablePointer<Float>, _ range: Range<Int>) {
        if Vector.wide { return Streams.sum(a, b, c, into: out, range) }
        var i = range.lowerBound
        while i + 8 <= range.upperBound {
            Vector.store(Vector.load(a + i) + Vector.load(b + i) + Vector.load(c + i), out + i)
            i += 8
        }
        while i < range.upperBound {
            out[i] = a[i] + b[i] + c[i]
            i += 1
        }
    }

    /// g[i] += Σ_chunk partials[chunk·size + i], the chunks added in order (the same sums whatever the
    /// thread count); elements split across threads.
    static func addChunks(_ partials: [Float], chunks: Int, size: Int, into g: inout [Float]) {
        g.withUnsafeMutableBufferPointer { gw in
            partials.withUnsafeBufferPointer { pp in
                Parallel.chunks(size, minimum: 4096) { range, _ in
                    for chunk in 0..<chunks {
                        let p = pp.baseAddress! + chunk * size
                        for i in range { gw[i] += p[i] }
                    }
                }
            }
        }
    }

    /// out = max(x, 0) (out takes x's shape).
    static func rectify(_ x: Tensor, into out: Tensor) {
        out.resize(like: x)
        x.data.withUnsafeBufferPointer { xp in
            out.data.withUnsafeMutableBufferPointer { op in
                Parallel.chunks(x.count, minimum: minimumPerThread) { range, _ in
                    for i in range { op[i] = max(xp[i], 0) }
                }
            }
        }
    }

    /// out = g where keep > 0, else 0 (the gradient through a ReLU whose output was `keep`); `out` may be
    /// `g` itself.
    static func mask(_ g: Tensor, by keep: Tensor, into out: Tensor) {
        precondition(g.count == keep.count, "masking tensors of different sizes")
        keep.data.withUnsafeBufferPointer { kp in
            if out === g {
                out.data.withUnsafeMutableBufferPointer { op in
                    mask(UnsafePointer(op.baseAddress!), kp.baseAddress!, op.baseAddress!, g.count)
                }
            } else {
                out.resize(like: g)
                g.data.withUnsafeBufferPointer { gp in
                    out.data.withUnsafeMutableBufferPointer { op in mask(gp.baseAddress!, kp.baseAddress!, op.baseAddress!, g.count) }
                }
            }
        }
    }

    private static func mask(_ g: UnsafePointer<Float>, _ keep: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ count: Int) {
        Parallel.chunks(count, minimum: minimumPerThread) { range, _ in
            if Vector.wide { return Streams.mask(g, keep, into: out, range) }
            var i = range.lowerBound
            let zero = Vector.V()
            while i + 8 <= range.upperBound {
                Vector.store(Vector.load(g + i).replacing(with: zero, where: Vector.load(keep + i) .<= zero), out + i)
                i += 8
            }
            while i < range.upperBound {
                out[i] = keep[i] > 0 ? g[i] : 0
                i += 1
            }
        }
    }
}
