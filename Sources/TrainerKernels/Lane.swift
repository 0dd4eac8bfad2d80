/// A run of consecutive floats that row transforms load, combine and store as one value: a 16-, 8- or
/// 4-wide vector, or a single float for rows narrower than 4. Row loops are written once over `Lane` and
/// called with a concrete width (`Lanes.forRow`); the last lane of a row overlaps the one before instead
/// of a scalar tail, which is right for element-wise transforms (overlapping columns get the same value).
public protocol Lane {
    static var width: Int { get }
    static var zero: Self { get }
    static func load(_ p: UnsafePointer<Float>) -> Self
    func store(_ p: UnsafeMutablePointer<Float>)
    /// max(self, 0).
    var rectified: Self { get }
    /// self where `mask` > 0, else 0 (the gradient through a ReLU whose input was `mask`).
    func kept(where mask: Self) -> Self
    static func + (a: Self, b: Self) -> Self
    static func - (a: Self, b: Self) -> Self
    static prefix func - (a: Self) -> Self
    static func * (a: Self, b: Float) -> Self
}

extension Float: Lane {
    public static var width: Int { 1 }
    @inline(__always) public static func load(_ p: UnsafePointer<Float>) -> Float { p.pointee }
    @inline(__always) public func store(_ p: UnsafeMutablePointer<Float>) { p.pointee = self }
    @inline(__always) public var rectified: Float { Swift.max(self, 0) }
    @inline(__always) public func kept(where mask: Float) -> Float { mask > 0 ? self : 0 }
}

extension SIMD16<Float>: Lane {
    public static var width: Int { 16 }
    @inline(__always) public static func load(_ p: UnsafePointer<Float>) -> Self { UnsafeRawPointer(p).loadUnaligned(as: Self.self) }
    @inline(__always) public func store(_ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: self, as: Self.self) }
    @inline(__always) public var rectified: Self { replacing(with: 0, where: self .< 0) }
    @inline(__always) public func kept(where mask: Self) -> Self { replacing(with: 0, where: mask .<= 0) }
}

extension SIMD8<Float>: Lane {
    public static var width: Int { 8 }
    @inline(__always) public static func load(_ p: UnsafePointer<Float>) -> Self { UnsafeRawPointer(p).loadUnaligned(as: Self.self) }
    @inline(__always) public func store(_ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: self, as: Self.self) }
    @inline(__always) public var rectified: Self { replacing(with: 0, where: self .< 0) }
    @inline(__always) public func kept(where mask: Self) -> Self { replacing(with: 0, where: mask .<= 0) }
}

extension SIMD4<Float>: Lane {
    public static var width: Int { 4 }
    @inline(__always) public static func load(_ p: UnsafePointer<Float>) -> Self { UnsafeRawPointer(p).loadUnaligned(as: Self.self) }
    @inline(__always) public func store(_ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: self, as: Self.self) }
    @inline(__always) public var rectified: Self { replacing(with: 0, where: self .< 0) }
    @inline(__always) public func kept(where mask: Self) -> Self { replacing(with: 0, where: mask .<= 0) }
}

extension Lane {
    /// Calls `body(column)` for lanes covering columns 0..<w: starts 0, width, 2·width, …, the last one
    /// moved back to w − width so it ends at the row's end.
    @inline(__always)
    static func columns(_ w: Int, _ body: (Int) -> Void) {
        var i = 0
        while i < w {
            body(Swift.min(i, w - width))
            i += width
        }
    }
}
