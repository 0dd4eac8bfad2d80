/// Images and labels in memory: `count × channels × height × width` float32, normalised per channel.
public struct Dataset: Sendable {
    public var images: [Float]
    public var labels: [Int]
    public let channels: Int
    public let height: Int
    public let width: Int
    public let classes: Int

    public init(images: [Float], labels: [Int], channels: Int, height: Int, width: Int, classes: Int) {
        precondition(images.count == labels.count * channels * height * width, "images do not match the labels")
        self.images = images
        self.labels = labels
        self.channels = channels
        self.height = height
        self.width = width
        self.classes = classes
    }

    public var count: Int { labels.count }
    public var sampleSize: Int { channels * height * width }

    /// Per-channel mean and standard deviation.
    public func channelStatistics() -> (mean: [Float], std: [Float]) {
        let plane = height * width
        var mean = [Float](), std = [Float]()
        for ch in 0..<channels {
            var s = 0.0, s2 = 0.0
            for i in 0..<count {
                let base = i * sampleSize + ch * plane
                for j in 0..<plane {
                    let v = Double(images[base + j])
                    s += v
                    s2 += v * v
                }
            }
            let n = Double(count * plane)
            let m = s / n
            mean.append(Float(m))
            std.append(Float(max(s2 / n - m * m, 1e-12).squareRoot()))
        }
        return (mean, std)
    }

    /// (x − mean) / std per channel, in place.
    public mutating func normalize(mean: [Float], std: [Float]) {
        let plane = height * width
        for i in 0..<count {
            for ch in 0..<channels {
                let base = i * sampleSize + ch * plane
                for j in 0..<plane { images[base + j] = (images[base + j] - mean[ch]) / std[ch] }
            }
        }
    }

    /// The samples at `indices`, in that order.
    public func subset(_ indices: [Int]) -> Dataset {
        var images = [Float]()
        images.reserveCapacity(indices.count * sampleSize)
        for i in indices { images += self.images[(i * sampleSize)..<((i + 1) * sampleSize)] }
        return Dataset(images: images, labels: indices.map { labels[$0] }, channels: channels, height: height, width: width,
                       classes: classes)
    }

    /// A seeded split into training and validation sets (`validation` samples held out), after optionally
    /// keeping only `trainingLimit` training samples.
    public func split(validation: Int, trainingLimit: Int?, seed: UInt64) -> (train: Dataset, validation: Dataset) {
        var order = Array(0..<count)
        var rng = SplitMix(state: seed)
        var i = order.count - 1
        while i > 0 {
            let j = Int(rng.next() % UInt64(i + 1))
            order.swapAt(i, j)
            i -= 1
        }
        let held = min(validation, count)
        let rest = order.dropFirst(held)
        let train = trainingLimit.map { Array(rest.prefix($0)) } ?? Array(rest)
        return (subset(train), subset(Array(order.prefix(held))))
    }
}

/// SplitMix64: the trainer's seeded generator (the Trainer module depends on no other module of ours).
public struct SplitMix: RandomNumberGenerator, Sendable {
    public var state: UInt64
    public init(state: UInt64) { self.state = state }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
