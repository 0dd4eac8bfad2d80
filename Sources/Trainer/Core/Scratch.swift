/// Float buffers, one per worker thread, that grow to fit and are reused across steps (no allocation per
/// batch). Each thread of a `Parallel.chunks` call uses the buffer of its chunk index.
final class Scratch {
    private var buffers: [UnsafeMutablePointer<Float>] = []
    private var capacities: [Int] = []

    /// Makes `slots` buffers of at least `count` floats; contents are undefined.
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

    subscript(slot: Int) -> UnsafeMutablePointer<Float> { buffers[slot] }

    deinit { for b in buffers { b.deallocate() } }
}
