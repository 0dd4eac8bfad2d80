import ANASOD
import CMsgPack

/// Decodes one msgpack value with msgpack-c, behind a structural pre-scan that enforces the limits
/// without allocating: total size, nesting depth, container and string lengths, and that every declared
/// length fits in the bytes that are actually there (a hostile "array of 4 billion" header is rejected
/// before msgpack-c would reserve memory for it). Trailing bytes after the value are an error.
public struct MessagePackDecoder: Sendable {
    public struct Limits: Sendable, Hashable {
        public var maxBytes = 1 << 20
        public var maxDepth = 16
        public var maxContainerCount = 65_536
        public var maxStringBytes = 1 << 20

        public init() {}
    }

    public var limits: Limits

    /// Limits for what a coordinator reads from workers: no worker message holds a container of more than a
    /// few thousand items (a heartbeat's `running` list is at most `MessageFields.maxJobKeys` pairs).
    public static var workerMessages: MessagePackDecoder {
        var limits = Limits()
        limits.maxContainerCount = 4096
        return MessagePackDecoder(limits: limits)
    }

    public init(limits: Limits = .init()) {
        self.limits = limits
    }

    /// - Throws: `WireError` (`.malformed`, `.oversized`).
    public func decode(_ bytes: [UInt8]) throws -> MessagePackValue {
        guard !bytes.isEmpty else { throw WireError(.malformed, "empty message") }
        guard bytes.count <= limits.maxBytes else {
            throw WireError(.oversized, "message of \(bytes.count) bytes exceeds the \(limits.maxBytes)-byte limit")
        }
        var scanner = Scanner(bytes: bytes, limits: limits)
        try scanner.skipValue(depth: 0)
        guard scanner.offset == bytes.count else {
            throw WireError(.malformed, "\(bytes.count - scanner.offset) trailing bytes after the message")
        }
        var unpacked = msgpack_unpacked()
        msgpack_unpacked_init(&unpacked)
        defer { msgpack_unpacked_destroy(&unpacked) }
        var offset = 0
        let status = bytes.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                msgpack_unpack_next(&unpacked, $0, bytes.count, &offset)
            }
        }
        guard status == MSGPACK_UNPACK_SUCCESS, offset == bytes.count else {
            throw WireError(.malformed, "msgpack-c could not unpack the message (status \(status.rawValue))")
        }
        return try convert(unpacked.data, depth: 0)
    }

    func convert(_ o: msgpack_object, depth: Int) throws -> MessagePackValue {
        switch o.type {
        case MSGPACK_OBJECT_NIL: return .null
        case MSGPACK_OBJECT_BOOLEAN: return .bool(o.via.boolean)
        case MSGPACK_OBJECT_POSITIVE_INTEGER: return .uint(o.via.u64)
        case MSGPACK_OBJECT_NEGATIVE_INTEGER: return .int(o.via.i64)
        case MSGPACK_OBJECT_FLOAT32, MSGPACK_OBJECT_FLOAT64: return .double(o.via.f64)
        case MSGPACK_OBJECT_STR:
            let raw = UnsafeRawBufferPointer(start: o.via.str.ptr, count: Int(o.via.str.size))
            guard let s = String(validating: raw, as: UTF8.self) else { throw WireError(.malformed, "a string is not valid UTF-8") }
            return .string(s)
        case MSGPACK_OBJECT_BIN:
            return .binary(Array(UnsafeRawBufferPointer(start: o.via.bin.ptr, count: Int(o.via.bin.size))))
        case MSGPACK_OBJECT_ARRAY:
            var items = [MessagePackValue]()
            items.reserveCapacity(Int(o.via.array.size))
            for i in 0..<Int(o.via.array.size) { items.append(try convert(o.via.array.ptr[i], depth: depth + 1)) }
            return .array(items)
        case MSGPACK_OBJECT_MAP:
            var pairs = [(key: MessagePackValue, value: MessagePackValue)]()
            pairs.reserveCapacity(Int(o.via.map.size))
            for i in 0..<Int(o.via.map.size) {
                let kv = o.via.map.ptr[i]
                pairs.append((try convert(kv.key, depth: depth + 1), try convert(kv.val, depth: depth + 1)))
            }
            return .map(pairs)
        default:
            throw WireError(.malformed, "unsupported msgpack type (extension types are not part of the protocol)")
        }
    }

    /// Walks msgpack headers without building values.
    struct Scanner {
        let bytes: [UInt8]
        let limits: Limits
        var offset = 0

        init(bytes: [UInt8], limits: Limits) {
            self.bytes = bytes
            self.limits = limits
        }

        mutating func take(_ n: Int) throws -> Int {
            guard n >= 0, offset + n <= bytes.count else {
                throw WireError(.malformed, "message truncated at byte \(offset) (needs \(n) more)")
            }
            let start = offset
            offset += n
            return start
        }

        mutating func bigEndian(_ n: Int) throws -> Int {
            let start = try take(n)
            var v = 0
            for i in 0..<n { v = v << 8 | Int(bytes[start + i]) }
            return v
        }

        mutating func payload(_ length: Int) throws {
            guard length <= limits.maxStringBytes else {
                throw WireError(.oversized, "a string or binary of \(length) bytes exceeds the limit")
            }
            _ = try take(length)
        }

        mutating func container(_ count: Int, perItem: Int, depth: Int) throws {
            guard count <= limits.maxContainerCount else {
                throw WireError(.oversized, "a container of \(count) elements exceeds the limit")
            }
            guard count * perItem <= bytes.count - offset else {
                throw WireError(.malformed, "a container declares \(count) elements but only \(bytes.count - offset) bytes follow")
            }
            for _ in 0..<(count * perItem) { try skipValue(depth: depth + 1) }
        }

        mutating func skipValue(depth: Int) throws {
            guard depth <= limits.maxDepth else { throw WireError(.oversized, "nesting deeper than \(limits.maxDepth)") }
            let b = bytes[try take(1)]
            switch b {
            case 0x00...0x7f, 0xe0...0xff, 0xc0, 0xc2, 0xc3: return
            case 0x80...0x8f: try container(Int(b & 0x0f), perItem: 2, depth: depth)
            case 0x90...0x9f: try container(Int(b & 0x0f), perItem: 1, depth: depth)
            case 0xa0...0xbf: try payload(Int(b & 0x1f))
            case 0xc4, 0xd9: try payload(try bigEndian(1))
            case 0xc5, 0xda: try payload(try bigEndian(2))
            case 0xc6, 0xdb: try payload(try bigEndian(4))
            case 0xcc, 0xd0: _ = try take(1)
            case 0xcd, 0xd1: _ = try take(2)
            case 0xca, 0xce, 0xd2: _ = try take(4)
            case 0xcb, 0xcf, 0xd3: _ = try take(8)
            case 0xdc: try container(try bigEndian(2), perItem: 1, depth: depth)
            case 0xdd: try container(try bigEndian(4), perItem: 1, depth: depth)
            case 0xde: try container(try bigEndian(2), perItem: 2, depth: depth)
            case 0xdf: try container(try bigEndian(4), perItem: 2, depth: depth)
            default:
                throw WireError(.malformed, "byte 0x\(String(b, radix: 16)) at \(offset - 1) is not a supported msgpack type")
            }
        }
    }
}
