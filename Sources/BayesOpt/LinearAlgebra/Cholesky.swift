import Foundation
import CLinearAlgebra

/// The Cholesky factor L of a symmetric positive-definite `n × n` matrix A = L Lᵀ (LAPACK `dpotrf`,
/// column-major, lower triangle), with jitter escalation: when A is numerically indefinite, δ·I is added
/// with δ = 1e-10·mean(diag A), ×10 each retry, up to 1e-2·mean(diag A); beyond that it throws.
public struct Cholesky: Sendable {
    /// n.
    public let size: Int
    /// L, column-major `n × n`; the strict upper triangle is zero.
    public private(set) var factor: [Double]
    /// The jitter that was added to the diagonal (0 when none was needed).
    public let jitter: Double

    /// Factors `matrix` (`n × n`, symmetric; either layout).
    /// - Throws: `BayesOptError.notPositiveDefinite` when even the largest jitter fails.
    public init(matrix: [Double], size n: Int) throws {
        precondition(matrix.count == n * n, "matrix must be n × n")
        self.size = n
        if n == 0 {
            factor = []
            jitter = 0
            return
        }
        var meanDiagonal = 0.0
        for i in 0..<n { meanDiagonal += matrix[i * n + i] }
        meanDiagonal = max(meanDiagonal / Double(n), 1e-300)
        var delta = 0.0
        while true {
            var a = matrix
            if delta > 0 { for i in 0..<n { a[i * n + i] += delta } }
            let info = LAPACKE_dpotrf(LAPACK_COL_MAJOR, Int8(UInt8(ascii: "L")), Int32(n), &a, Int32(n))
            if info == 0 {
                for j in 0..<n { for i in 0..<j { a[j * n + i] = 0 } }  // clear the upper triangle
                factor = a
                jitter = delta
                return
            }
            delta = delta == 0 ? 1e-10 * meanDiagonal : delta * 10
            if delta > 1e-2 * meanDiagonal {
                throw BayesOptError(.notPositiveDefinite,
                                    "kernel matrix (\(n) × \(n)) is not positive definite even with jitter \(delta / 10)")
            }
        }
    }

    /// log det A = 2 Σ log L_ii.
    public var logDeterminant: Double {
        var s = 0.0
        for i in 0..<size { s += log(factor[i * size + i]) }
        return 2 * s
    }

    /// x = A⁻¹ b for one right-hand side.
    public func solve(_ b: [Double]) -> [Double] {
        precondition(b.count == size)
        var x = b
        if size == 0 { return x }
        _ = LAPACKE_dpotrs(LAPACK_COL_MAJOR, Int8(UInt8(ascii: "L")), Int32(size), 1, factor, Int32(size), &x, Int32(size))
        return x
    }

    /// V = L⁻¹ B for `columns` right-hand sides, B column-major `n × columns` (forward substitution).
    public func solveLower(_ b: [Double], columns: Int) -> [Double] {
        precondition(b.count == size * columns)
        var v = b
        if size == 0 || columns == 0 { return v }
        cblas_dtrsm(CblasColMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, Int32(size), Int32(columns), 1.0,
                    factor, Int32(size), &v, Int32(size))
        return v
    }

    /// A⁻¹ (`n × n`, full symmetric), from the factor (LAPACK `dpotri`).
    public func inverse() -> [Double] {
        var a = factor
        if size == 0 { return a }
        _ = LAPACKE_dpotri(LAPACK_COL_MAJOR, Int8(UInt8(ascii: "L")), Int32(size), &a, Int32(size))
        for j in 0..<size { for i in 0..<j { a[j * size + i] = a[i * size + j] } }
        return a
    }

    /// The factor of the matrix grown by one row and column [[A, c], [cᵀ, d]], in O(n²).
    /// - Throws: `BayesOptError.notPositiveDefinite` when the new pivot is not positive.
    public func appending(column c: [Double], diagonal d: Double) throws -> Cholesky {
        precondition(c.count == size)
        let l = solveLower(c, columns: 1)
        var pivot = d
        for x in l { pivot -= x * x }
        guard pivot > 1e-12 * max(d, 1e-300) else {
            throw BayesOptError(.notPositiveDefinite, "appended point makes the kernel matrix indefinite")
        }
        let m = size + 1
        var grown = [Double](repeating: 0, count: m * m)
        for j in 0..<size {
            for i in j..<size { grown[j * m + i] = factor[j * size + i] }
            grown[j * m + size] = l[j]
        }
        grown[size * m + size] = pivot.squareRoot()
        return Cholesky(size: m, factor: grown, jitter: jitter)
    }

    private init(size: Int, factor: [Double], jitter: Double) {
        self.size = size
        self.factor = factor
        self.jitter = jitter
    }
}
