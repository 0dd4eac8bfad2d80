/// A seedable pseudo-random generator with a fixed algorithm: xoshiro256** (Blackman & Vigna, 2018),
/// its 256-bit state filled from a 64-bit seed by SplitMix64.
///
/// The algorithm is part of the contract: the same seed gives the same sequence of `UInt64`s on every
/// machine and every Swift version, which makes searches reproducible. (The standard library's
/// `SystemRandomNumberGenerator` is not seedable, and its `random(in:)` helpers may change algorithm
/// between Swift versions, so this package draws integers, doubles and permutations through its own
/// helpers in `RandomNumberGenerator+Sampling.swift`.)
public struct SeededGenerator: RandomNumberGenerator, Sendable, Hashable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    /// Creates a generator whose sequence is fully determined by `seed`.
    public init(seed: UInt64) {
        var sm = seed
        func splitMix() -> UInt64 {
            sm &+= 0x9E37_79B9_7F4A_7C15
            var z = sm
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix()
        s1 = splitMix()
        s2 = splitMix()
        s3 = splitMix()
    }

    /// A generator for a named sub-stream of `seed` (e.g. one per strategy component or per job),
    /// so that adding draws to one component does not shift the draws of another.
    public init(seed: UInt64, stream: UInt64) {
        self.init(seed: seed ^ (stream &* 0xD1B5_4A32_D192_ED03) &+ stream)
    }

    public mutating func next() -> UInt64 {
        let result = rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        return result
    }

    @inline(__always)
    private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 {
        (x << k) | (x >> (64 - k))
    }
}
