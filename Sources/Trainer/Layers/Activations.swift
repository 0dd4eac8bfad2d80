/// max(x, 0).
public final class ReLU: Layer {
    private let output = Tensor(n: 0, c: 0)
    private let gradInput = Tensor(n: 0, c: 0)

    public init() {}

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        output.resize(like: x)
        x.data.withUnsafeBufferPointer { xp in
            output.data.withUnsafeMutableBufferPointer { yp in
                Parallel.chunks(x.count, minimum: 1 << 15) { range, _ in
                    for i in range { yp[i] = max(xp[i], 0) }
                }
            }
        }
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        gradInput.resize(like: dy)
        dy.data.withUnsafeBufferPointer { gp in
            output.data.withUnsafeBufferPointer { yp in
                gradInput.data.withUnsafeMutableBufferPointer { dxp in
                    Parallel.chunks(dy.count, minimum: 1 << 15) { range, _ in
                        var i = range.lowerBound
                        let zero = Vector.V()
                        while i + 8 <= range.upperBound {
                            let g = Vector.load(gp.baseAddress! + i)
                            Vector.store(g.replacing(with: zero, where: Vector.load(yp.baseAddress! + i) .<= zero), dxp.baseAddress! + i)
                            i += 8
                        }
                        while i < range.upperBound {
                            dxp[i] = yp[i] > 0 ? gp[i] : 0
                            i += 1
                        }
                    }
                }
            }
        }
        return gradInput
    }
}
