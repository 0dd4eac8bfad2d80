import CZeroMQ
import Testing

@Suite struct ZeroMQSmokeTests {
    @Test func pairRoundTripOverInproc() throws {
        let context = try #require(zmq_ctx_new())
        defer { zmq_ctx_term(context) }
        let server = try #require(zmq_socket(context, ZMQ_PAIR))
        let client = try #require(zmq_socket(context, ZMQ_PAIR))
        defer {
            zmq_close(client)
            zmq_close(server)
        }
        #expect(zmq_bind(server, "inproc://smoke") == 0)
        #expect(zmq_connect(client, "inproc://smoke") == 0)

        let message = Array("ping".utf8)
        #expect(zmq_send(client, message, message.count, 0) == Int32(message.count))
        var buffer = [UInt8](repeating: 0, count: 16)
        let received = zmq_recv(server, &buffer, buffer.count, 0)
        #expect(received == 4)
        #expect(Array(buffer.prefix(4)) == message)

        let reply = Array("pong".utf8)
        #expect(zmq_send(server, reply, reply.count, 0) == 4)
        #expect(zmq_recv(client, &buffer, buffer.count, 0) == 4)
        #expect(Array(buffer.prefix(4)) == reply)
    }

    @Test func versionIsFour() {
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        #expect(major == 4)
    }
}
