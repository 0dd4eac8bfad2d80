/// A stationary kernel with per-dimension (ARD) length scales:
/// k(x, x') = σ² · c(r²), r² = Σ_i ((x_i − x'_i) / ℓ_i)².
///
/// A kernel supplies the correlation profile c and its derivative in r²; the GP builds matrices and the
/// hyperparameter gradients (∂k/∂log ℓ_i = σ² · c'(r²) · (−2 Δ_i² / ℓ_i²)) from these two.
public protocol Kernel: Sendable {
    /// A short name (`matern52`, `rbf`).
    var name: String { get }
    /// c(r²), with c(0) = 1.
    func correlation(_ r2: Double) -> Double
    /// dc/d(r²).
    func correlationDerivative(_ r2: Double) -> Double
}

/// The kernels selectable by name in configs.
public enum KernelKind: String, Sendable, Codable, CaseIterable {
    case matern52
    case rbf

    public var kernel: any Kernel {
        switch self {
        case .matern52: Matern52Kernel()
        case .rbf: RBFKernel()
        }
    }
}
