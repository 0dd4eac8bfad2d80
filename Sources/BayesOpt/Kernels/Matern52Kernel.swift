import Foundation

/// Matérn-5/2: c(r) = (1 + √5 r + 5r²/3) e^{−√5 r}. Twice differentiable; the usual BO default.
public struct Matern52Kernel: Kernel {
    public let name = "matern52"
    public init() {}

    public func correlation(_ r2: Double) -> Double {
        let r = r2.squareRoot()
        let s = 5.0.squareRoot() * r
        return (1 + s + 5 * r2 / 3) * exp(-s)
    }

    /// dc/dr = −(5/3) r (1 + √5 r) e^{−√5 r}, so dc/d(r²) = −(5/6)(1 + √5 r) e^{−√5 r}: finite at r = 0.
    public func correlationDerivative(_ r2: Double) -> Double {
        let s = 5.0.squareRoot() * r2.squareRoot()
        return -(5.0 / 6.0) * (1 + s) * exp(-s)
    }
}
