import CMsgPack

/// Encodes `MessagePackValue`s with msgpack-c's packer into a buffer it owns
/// (`msgpack_sbuffer_new`: the packer keeps a raw pointer, so the buffer must not be a Swift property).
public enum MessagePackEncoder {
    public static func encode(_ value: MessagePackValue) -> [UInt8] {
        let buffer = msgpack_sbuffer_new()!
        defer { msgpack_sbuffer_free(buffer) }
        let packer = msgpack_packer_new(UnsafeMutableRawPointer(buffer), msgpack_sbuffer_write)!
        defer { msgpack_packer_free(packer) }
        pack(value, packer)
        return Array(UnsafeRawBufferPointer(start: buffer.pointee.data, count: buffer.pointee.size))
    }

    static func pack(_ value: MessagePackValue, _ packer: UnsafeMutablePointer<msgpack_packer>) {
        switch value {
        case .null: msgpack_pack_nil(packer)
        case .bool(let b): _ = b ? msgpack_pack_true(packer) : msgpack_pack_false(packer)
        case .int(let i): msgpack_pack_int64(packer, i)
        case .uint(let u): msgpack_pack_uint64(packer, u)
        case .double(let d): msgpack_pack_double(packer, d)
        case .string(let s):
            let bytes = Array(s.utf8)
            msgpack_pack_str(packer, bytes.count)
            msgpack_pack_str_body(packer, bytes, bytes.count)
        case .binary(let b):
            msgpack_pack_bin(packer, b.count)
            msgpack_pack_bin_body(packer, b, b.count)
        case .array(let items):
            msgpack_pack_array(packer, items.count)
            for item in items { pack(item, packer) }
        case .map(let pairs):
            msgpack_pack_map(packer, pairs.count)
            for (k, v) in pairs {
                pack(k, packer)
                pack(v, packer)
            }
        }
    }
}
