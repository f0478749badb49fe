import NIOConcurrencyHelpers
import Logging
import NIOCore

/// One client connection: requests are answered one at a time and in order, as Kafka mutes a connection
/// while its request is in hand. A request it cannot parse closes the connection, and only that one.
final class ConnectionHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let cluster: Cluster
    private let brokerID: Int32
    private var pending: [ByteBuffer] = []
    private var busy = false
    private var state: ConnectionState?
    private var task: Task<Void, Never>?
    private var executor: EventLoopTaskExecutor?

    init(cluster: Cluster, brokerID: Int32) {
        self.cluster = cluster
        self.brokerID = brokerID
    }

    func channelActive(context: ChannelHandlerContext) {
        state = ConnectionState(remote: context.remoteAddress?.description ?? "?")
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        task?.cancel()
        pending.removeAll()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        pending.append(unwrapInboundIn(data))
        // Kafka stops reading a connection while its request is in hand; a few pipelined requests are buffered
        // here, and past that the socket holds the rest, so one client cannot fill the broker's memory.
        if pending.count >= Self.maxPipelined { context.channel.setOption(.autoRead, value: false).whenComplete { _ in } }
        next(context: context)
    }

    static let maxPipelined = 8

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        cluster.logger.notice(
            "closing connection", metadata: ["broker": "\(brokerID)", "remote": "\(state?.remote ?? "?")", "reason": "\(error)"])
        context.close(promise: nil)
    }

    private func next(context: ChannelHandlerContext) {
        guard !busy, let state else { return }
        guard !pending.isEmpty else {
            context.channel.setOption(.autoRead, value: true).whenComplete { _ in }
            return
        }
        busy = true
        let frame = pending.removeFirst()
        let cluster = cluster
        let brokerID = brokerID
        let loop = context.eventLoop
        let executor = self.executor ?? EventLoopTaskExecutor(loop)
        self.executor = executor
        let bound = NIOLoopBound(context, eventLoop: loop)
        task = Task(executorPreference: executor) {
            let outcome: Result<ByteBuffer?, any Error>
            do {
                let delay = cluster.delay(broker: brokerID)
                if delay > 0 { try await Task.sleep(for: .milliseconds(delay)) }
                outcome = .success(
                    try await RequestRouter.respond(
                        to: frame, cluster: cluster, brokerID: brokerID, connection: state, eventLoop: loop))
            } catch {
                outcome = .failure(error)
            }
            loop.execute {
                let context = bound.value
                self.busy = false
                switch outcome {
                case .success(let response?):
                    if state.closeAfterResponse {
                        context.writeAndFlush(NIOAny(response)).whenComplete { _ in context.close(promise: nil) }
                        return
                    }
                    context.writeAndFlush(NIOAny(response), promise: nil)
                    self.next(context: context)
                case .success(nil):
                    self.next(context: context)
                case .failure(let error):
                    self.errorCaught(context: context, error: error)
                }
            }
        }
    }
}
