import Foundation

/// Squared exponential: c(r²) = e^{−r²/2}.
public struct RBFKernel: Kernel {
    public let name = "rbf"
    public init() {}

    public func correlation(_ r2: Double) -> Double { exp(-0.5 * r2) }
    public func correlationDerivative(_ r2: Double) -> Double { -0.5 * exp(-0.5 * r2) }
}
