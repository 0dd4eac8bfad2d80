import CZlib
import Foundation

/// Reads the IDX files of MNIST and Fashion-MNIST, plain or gzipped (zlib's gzread reads both), e.g. the
/// Debian package `dataset-fashion-mnist` in /usr/share/datasets/fashion-mnist.
public enum IDXLoader {
    public static let fashionMNISTDirectory = "/usr/share/datasets/fashion-mnist"
    /// The four files of Fashion-MNIST that `fashionMNIST(train:directory:)` reads.
    public static let fashionMNISTFiles = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
                                           "t10k-labels-idx1-ubyte.gz"]
    /// The side of Fashion-MNIST's square images.
    public static let fashionMNISTSide = 28

    /// The whole (decompressed) file.
    static func read(_ path: String) throws -> [UInt8] {
        guard FileManager.default.fileExists(atPath: path) else {
            throw TrainerError(.fileUnreadable, "'\(path)' does not exist (Fashion-MNIST: apt-get install dataset-fashion-mnist, or run scripts/setup.sh)")
        }
        guard let file = gzopen(path, "rb") else { throw TrainerError(.fileUnreadable, "cannot open '\(path)'") }
        defer { gzclose(file) }
        var out = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = gzread(file, &chunk, UInt32(chunk.count))
            if n < 0 { throw TrainerError(.corruptData, "'\(path)' is not a readable gzip or IDX file") }
            if n == 0 { break }
            out += chunk.prefix(Int(n))
        }
        return out
    }

    static func header(_ bytes: [UInt8], _ path: String, magic: UInt32, dimensions: Int) throws -> [Int] {
        func word(_ i: Int) -> Int { Int(bytes[i]) << 24 | Int(bytes[i + 1]) << 16 | Int(bytes[i + 2]) << 8 | Int(bytes[i + 3]) }
        guard bytes.count >= 4 + 4 * dimensions, UInt32(word(0)) == magic else {
            throw TrainerError(.corruptData, "'\(path)' is not an IDX file of \(dimensions) dimension(s) (bad magic number)")
        }
        let dims = (0..<dimensions).map { word(4 + 4 * $0) }
        let expected = 4 + 4 * dimensions + dims.reduce(1, *)
        guard bytes.count == expected else {
            throw TrainerError(.corruptData, "'\(path)' holds \(bytes.count) bytes; its header promises \(expected) (truncated?)")
        }
        return dims
    }

    /// An images file (magic 2051) and its labels file (2049) as a dataset with pixels scaled to [0, 1].
    public static func load(images: String, labels: String, classes: Int = 10) throws -> Dataset {
        let imageBytes = try read(images)
        let dims = try header(imageBytes, images, magic: 2051, dimensions: 3)
        let labelBytes = try read(labels)
        let labelDims = try header(labelBytes, labels, magic: 2049, dimensions: 1)
        guard labelDims[0] == dims[0] else {
            throw TrainerError(.corruptData, "'\(images)' has \(dims[0]) images but '\(labels)' \(labelDims[0]) labels")
        }
        let labelValues = labelBytes[8...].map { Int($0) }
        if let bad = labelValues.first(where: { $0 >= classes }) {
            throw TrainerError(.corruptData, "'\(labels)' holds label \(bad), beyond \(classes) classes")
        }
        let pixels = imageBytes[16...].map { Float($0) / 255 }
        return Dataset(images: pixels, labels: labelValues, channels: 1, height: dims[1], width: dims[2], classes: classes)
    }

    /// Fashion-MNIST's training (60,000) or test (10,000) split from `directory`.
    public static func fashionMNIST(train: Bool, directory: String = fashionMNISTDirectory) throws -> Dataset {
        let prefix = train ? "train" : "t10k"
        return try load(images: "\(directory)/\(prefix)-images-idx3-ubyte.gz", labels: "\(directory)/\(prefix)-labels-idx1-ubyte.gz")
    }
}

/// Reads the CIFAR-10 binary format: records of 1 label byte and 3,072 pixel bytes (3 × 32 × 32).
public enum CIFAR10Loader {
    public static func load(files: [String]) throws -> Dataset {
        var images = [Float](), labels = [Int]()
        for path in files {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw TrainerError(.fileUnreadable, "cannot read CIFAR-10 file '\(path)'")
            }
            guard data.count % 3073 == 0, !data.isEmpty else {
                throw TrainerError(.corruptData, "'\(path)' is \(data.count) bytes, not a whole number of 3,073-byte records")
            }
            let bytes = [UInt8](data)
            for r in 0..<(bytes.count / 3073) {
                let label = Int(bytes[r * 3073])
                guard label < 10 else { throw TrainerError(.corruptData, "'\(path)' record \(r) has label \(label)") }
                labels.append(label)
                images += bytes[(r * 3073 + 1)..<((r + 1) * 3073)].map { Float($0) / 255 }
            }
        }
        return Dataset(images: images, labels: labels, channels: 3, height: 32, width: 32, classes: 10)
    }
}
