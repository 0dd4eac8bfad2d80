import Foundation

/// The in-memory twin of the ZeroMQ transport, for tests of the coordinator and worker logic: messages
/// go through the real encoder and decoder, delivered in order on a serial queue per receiver.
public final class InMemoryServer: ServerTransport, @unchecked Sendable {
    public let endpoint: String
    private let lock = NSLock()
    private var handler: (@Sendable (ServerEvent) -> Void)?
    private var clients = [PeerID: InMemoryClient]()
    private let queue = DispatchQueue(label: "anasod.inmemory.server")

    public init(name: String = "inmemory://coordinator") {
        endpoint = name
    }

    public func start(_ handler: @escaping @Sendable (ServerEvent) -> Void) {
        lock.withLock { self.handler = handler }
    }

    /// A new client connected to this server.
    /// - Parameter key: the key name the connection authenticated with (as the ZeroMQ server reports it).
    public func connect(identity: String, key: String? = nil) -> InMemoryClient {
        let client = InMemoryClient(server: self, peer: PeerID(Array(identity.utf8), key: key))
        lock.withLock { clients[client.peer] = client }
        return client
    }

    func deliver(_ bytes: [UInt8], from peer: PeerID) {
        queue.async { [self] in
            guard let handler = lock.withLock({ self.handler }) else { return }
            do {
                handler(.message(peer, try WireMessage.decode(bytes)))
            } catch let error as WireError {
                handler(.rejected(peer, error))
            } catch {}
        }
    }

    func disconnect(_ peer: PeerID) {
        _ = lock.withLock { clients.removeValue(forKey: peer) }
    }

    public func send(_ message: WireMessage, to peer: PeerID) { send(encoded: message.encoded(), to: peer) }

    public func send(encoded bytes: [UInt8], to peer: PeerID) {
        guard let client = lock.withLock({ clients[peer] }) else {
            queue.async { [self] in lock.withLock { self.handler }?(.unreachable(peer)) }
            return
        }
        client.deliver(bytes)
    }

    public func close() {
        lock.withLock {
            handler = nil
            clients.removeAll()
        }
    }
}

public final class InMemoryClient: ClientTransport, @unchecked Sendable {
    let peer: PeerID
    private weak var server: InMemoryServer?
    private let lock = NSLock()
    private var handler: (@Sendable (ClientEvent) -> Void)?
    private let queue = DispatchQueue(label: "anasod.inmemory.client")

    init(server: InMemoryServer, peer: PeerID) {
        self.server = server
        self.peer = peer
    }

    public func start(_ handler: @escaping @Sendable (ClientEvent) -> Void) {
        lock.withLock { self.handler = handler }
    }

    func deliver(_ bytes: [UInt8]) {
        queue.async { [self] in
            guard let handler = lock.withLock({ self.handler }) else { return }
            do {
                handler(.message(try WireMessage.decode(bytes)))
            } catch let error as WireError {
                handler(.rejected(error))
            } catch {}
        }
    }

    public func send(_ message: WireMessage) {
        server?.deliver(message.encoded(), from: peer)
    }

    public func close() {
        lock.withLock { handler = nil }
        server?.disconnect(peer)
    }
}
