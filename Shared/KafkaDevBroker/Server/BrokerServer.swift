import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// The listener of one broker: accepts connections on its port while the broker is up; taking it down closes
/// the listener and every connection it accepted, so clients see refused connections.
final class BrokerServer: @unchecked Sendable {
    let id: Int32
    let host: String
    private(set) var port: Int
    private let cluster: Cluster
    private let group: any EventLoopGroup
    private let lock = NIOLock()
    private var listener: (any Channel)?
    private var connections: [ObjectIdentifier: any Channel] = [:]

    init(id: Int32, host: String, port: Int, cluster: Cluster, group: any EventLoopGroup) {
        self.id = id
        self.host = host
        self.port = port
        self.cluster = cluster
        self.group = group
    }

    /// Binds the listener (port 0 picks a free one, kept for later restarts of this broker).
    func start() throws {
        let cluster = cluster
        let id = id
        let channel = try ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { [weak self] channel in
                self?.track(channel)
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(FrameDecoder()))
                    try channel.pipeline.syncOperations.addHandler(ConnectionHandler(cluster: cluster, brokerID: id))
                }
            }
            .bind(host: host, port: port).wait()
        lock.withLock {
            listener = channel
            port = channel.localAddress?.port ?? port
        }
    }

    private func track(_ channel: any Channel) {
        let key = ObjectIdentifier(channel)
        lock.withLock { connections[key] = channel }
        channel.closeFuture.whenComplete { [weak self] _ in
            guard let self else { return }
            self.lock.withLock { _ = self.connections.removeValue(forKey: key) }
        }
    }

    /// Closes the listener and every open connection.
    func stop() {
        let (l, open) = lock.withLock { () -> ((any Channel)?, [any Channel]) in
            defer {
                listener = nil
                connections.removeAll()
            }
            return (listener, Array(connections.values))
        }
        try? l?.close().wait()
        for c in open { try? c.close().wait() }
    }

    var isListening: Bool { lock.withLock { listener != nil } }
}
