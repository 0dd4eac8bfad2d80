import CMsgPack
import Testing

@Suite struct MsgPackSmokeTests {
    @Test func packAndUnpackAMap() throws {
        let buffer = try #require(msgpack_sbuffer_new())
        defer { msgpack_sbuffer_free(buffer) }
        let rawPacker = msgpack_packer_new(UnsafeMutableRawPointer(buffer), msgpack_sbuffer_write)
        let packer = try #require(rawPacker)
        defer { msgpack_packer_free(packer) }

        msgpack_pack_map(packer, 2)
        let key = Array("error".utf8)
        msgpack_pack_str(packer, key.count)
        msgpack_pack_str_body(packer, key, key.count)
        msgpack_pack_double(packer, 5.63)
        msgpack_pack_int64(packer, -7)
        msgpack_pack_array(packer, 3)
        for i in 1...3 { msgpack_pack_uint32(packer, UInt32(i)) }

        var result = msgpack_unpacked()
        msgpack_unpacked_init(&result)
        defer { msgpack_unpacked_destroy(&result) }
        var offset = 0
        let ret = msgpack_unpack_next(&result, buffer.pointee.data, buffer.pointee.size, &offset)
        #expect(ret == MSGPACK_UNPACK_SUCCESS)
        #expect(offset == buffer.pointee.size)

        let root = result.data
        #expect(root.type == MSGPACK_OBJECT_MAP)
        #expect(root.via.map.size == 2)
        let first = root.via.map.ptr[0]
        #expect(first.key.type == MSGPACK_OBJECT_STR)
        let name = String(decoding: UnsafeRawBufferPointer(start: first.key.via.str.ptr, count: Int(first.key.via.str.size)),
                          as: UTF8.self)
        #expect(name == "error")
        #expect(first.val.type == MSGPACK_OBJECT_FLOAT64)
        #expect(first.val.via.f64 == 5.63)
        let second = root.via.map.ptr[1]
        #expect(second.key.type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        #expect(second.key.via.i64 == -7)
        #expect(second.val.type == MSGPACK_OBJECT_ARRAY)
        #expect(second.val.via.array.size == 3)
        #expect(second.val.via.array.ptr[2].via.u64 == 3)
    }
}
