import CLinearAlgebra
import Testing

@Suite struct LinearAlgebraSmokeTests {
    @Test func dgemmMultipliesSmallMatrices() {
        // A (2×3) · B (3×2), row-major.
        let a: [Double] = [1, 2, 3, 4, 5, 6]
        let b: [Double] = [7, 8, 9, 10, 11, 12]
        var c = [Double](repeating: 0, count: 4)
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 2, 2, 3, 1.0, a, 3, b, 2, 0.0, &c, 2)
        #expect(c == [58, 64, 139, 154])
    }

    @Test func dpotrfFactorsASymmetricPositiveDefiniteMatrix() {
        // A = L Lᵀ with L = [[2, 0], [1, 3]] → A = [[4, 2], [2, 10]], column-major.
        var a: [Double] = [4, 2, 2, 10]
        let info = LAPACKE_dpotrf(LAPACK_COL_MAJOR, Int8(UInt8(ascii: "L")), 2, &a, 2)
        #expect(info == 0)
        #expect(abs(a[0] - 2) < 1e-12)
        #expect(abs(a[1] - 1) < 1e-12)
        #expect(abs(a[3] - 3) < 1e-12)
    }

    @Test func dpotrfReportsANonPositiveDefiniteMatrix() {
        var a: [Double] = [1, 2, 2, 1]
        let info = LAPACKE_dpotrf(LAPACK_COL_MAJOR, Int8(UInt8(ascii: "L")), 2, &a, 2)
        #expect(info > 0)
    }
}
