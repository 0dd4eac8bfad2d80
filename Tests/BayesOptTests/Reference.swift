import ANASOD
@testable import BayesOpt
import Foundation

/// Independent, naive references: dense matrices as [[Double]], Gauss–Jordan inversion.
enum Reference {
    static func kernelMatrix(_ kernel: any Kernel, _ a: [[Double]], _ b: [[Double]], _ h: GPHyperparameters) -> [[Double]] {
        a.map { x in
            b.map { y in
                var r2 = 0.0
                for t in x.indices { r2 += pow((x[t] - y[t]) / h.lengthscales[t], 2) }
                return h.outputScale * kernel.correlation(r2)
            }
        }
    }

    static func inverse(_ m: [[Double]]) -> [[Double]] {
        let n = m.count
        var a = m
        var inv = (0..<n).map { i in (0..<n).map { j in i == j ? 1.0 : 0.0 } }
        for col in 0..<n {
            let pivot = (col..<n).max { abs(a[$0][col]) < abs(a[$1][col]) }!
            a.swapAt(col, pivot)
            inv.swapAt(col, pivot)
            let p = a[col][col]
            for j in 0..<n {
                a[col][j] /= p
                inv[col][j] /= p
            }
            for r in 0..<n where r != col {
                let f = a[r][col]
                for j in 0..<n {
                    a[r][j] -= f * a[col][j]
                    inv[r][j] -= f * inv[col][j]
                }
            }
        }
        return inv
    }

    static func logDeterminant(_ m: [[Double]]) -> Double {
        // Gaussian elimination without pivoting (SPD input).
        var a = m
        let n = a.count
        var s = 0.0
        for k in 0..<n {
            s += log(a[k][k])
            for i in (k + 1)..<max(k + 1, n) {
                let f = a[i][k] / a[k][k]
                for j in k..<n { a[i][j] -= f * a[k][j] }
            }
        }
        return s
    }

    static func matVec(_ m: [[Double]], _ v: [Double]) -> [Double] {
        m.map { row in zip(row, v).reduce(0) { $0 + $1.0 * $1.1 } }
    }

    /// log N(y; 0, K + σ_n² I) over every observation.
    static func logMarginalLikelihood(_ kernel: any Kernel, _ x: [[Double]], _ y: [Double], _ h: GPHyperparameters) -> Double {
        var k = kernelMatrix(kernel, x, x, h)
        for i in k.indices { k[i][i] += h.noise }
        let alpha = matVec(inverse(k), y)
        let fit = zip(y, alpha).reduce(0) { $0 + $1.0 * $1.1 }
        return -0.5 * fit - 0.5 * logDeterminant(k) - 0.5 * Double(y.count) * log(2 * Double.pi)
    }

    static func randomPoints(_ n: Int, _ d: Int, _ rng: inout SeededGenerator) -> [[Double]] {
        (0..<n).map { _ in (0..<d).map { _ in rng.nextUniform() } }
    }
}
