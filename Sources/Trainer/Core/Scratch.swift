/// Buffers, one per worker thread, that grow to fit and are reused across steps (no allocation per
/// batch). Each thread of a `Parallel.chunks` call uses the buffer of its chunk index.
final class ScratchBuffers<Element> {
    private var buffers: [UnsafeMutablePointer<Element>] = []
    private var capacities: [Int] = []

    /// Makes `slots` buffers of at least `count` elements; contents are undefined.
    func reserve(slots: Int, count: Int) {
        while buffers.count < slots {
            buffers.append(.allocate(capacity: 1))
            capacities.append(1)
        }
        for i in 0..<slots where capacities[i] < count {
            buffers[i].deallocate()
            buffers[i] = .allocate(capacity: count)
            capacities[i] = count
        }
    }

    subscript(slot: Int) -> UnsafeMutablePointer<Element> { buffers[slot] }

    deinit { for b in buffers { b.deallocate() } }
}

/// Float scratch matrices (im2col columns, padded grids, wide results).
typealias Scratch = ScratchBuffers<Float>
/// Row-pointer tables of the shifted-row kernels.
typealias RowTables = ScratchBuffers<UnsafePointer<Float>>
