@testable import BayesOpt
import Testing

@Suite struct OpenBLASCoreSelectionTests {
    @Test func theUsersChoiceAlwaysWins() {
        #expect(OpenBLASCoreSelection.recommendation(environment: ["OPENBLAS_CORETYPE": "Haswell"],
                                                     cpuFlags: "flags : avx2 avx512f avx512bw") == nil)
    }

    @Test func recommendsOnlyWhenOpenBLASFellBack() {
        let picked = OpenBLASCoreSelection.recommendation(environment: [:], cpuFlags: "flags : sse2 avx2 avx512f avx512bw")
        if LinearAlgebraThreads.coreName.lowercased() == "prescott" {
            #expect(picked == "SkylakeX")
            #expect(OpenBLASCoreSelection.recommendation(environment: [:], cpuFlags: "flags : sse2 avx2") == "Haswell")
            #expect(OpenBLASCoreSelection.recommendation(environment: [:], cpuFlags: "flags : sse2") == nil)
        } else {
            #expect(picked == nil)  // OpenBLAS recognised the CPU: nothing to fix
        }
        #expect(OpenBLASCoreSelection.recommendation(environment: [:], cpuFlags: nil) == nil)
    }
}
