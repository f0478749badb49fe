import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Sends each request to its API's handler and frames the response.
enum RequestRouter {
    /// The response frame (length prefix included), or nil when the request wants none (Produce acks=0).
    static func respond(to frame: ByteBuffer, cluster: Cluster, brokerID: Int32, connection: ConnectionState, eventLoop: any EventLoop)
        async throws -> ByteBuffer?
    {
        var reader = KafkaReader(frame)
        let (header, known) = try RequestHeader.read(&reader)
        guard let api = known else {
            throw MalformedRequest(reason: "unknown API key \(header.apiKey)")
        }
        guard api.versions.contains(header.apiVersion) else {
            // Kafka answers an ApiVersions it cannot parse with UNSUPPORTED_VERSION in v0 form, so the client can
            // retry with a version it and the broker share; any other unknown version closes the connection.
            if api == .apiVersions {
                return frameResponse(correlationID: header.correlationID, flexibleHeader: false) { out in
                    ApiVersionsApi.writeUnsupported(&out)
                }
            }
            throw MalformedRequest(reason: "\(api.name) v\(header.apiVersion) is not supported")
        }
        let context = RequestContext(
            cluster: cluster, brokerID: brokerID, header: header, api: api, connection: connection,
            eventLoop: eventLoop, injectedError: cluster.takeInjectedError(api: api.rawValue))
        if try await SaslGate.refuses(context) {
            throw MalformedRequest(reason: "\(api.name) before SASL authentication")
        }
        let answer = try await handle(context, &reader)
        if api.changesCoordinatorState { cluster.checkpointCoordinators() }  // durable before it is answered
        guard let body = answer else { return nil }
        return frameResponse(correlationID: header.correlationID, flexibleHeader: context.responseHeaderIsFlexible) {
            var b = body
            $0.writeBuffer(&b)
        }
    }

    static func handle(_ c: RequestContext, _ r: inout KafkaReader) async throws -> ByteBuffer? {
        switch c.api {
        case .apiVersions: try ApiVersionsApi.handle(c, &r)
        case .metadata: try MetadataApi.handle(c, &r)
        case .produce: try await ProduceApi.handle(c, &r)
        case .fetch: try await FetchApi.handle(c, &r)
        case .listOffsets: try ListOffsetsApi.handle(c, &r)
        case .createTopics: try CreateTopicsApi.handle(c, &r)
        case .deleteTopics: try DeleteTopicsApi.handle(c, &r)
        case .describeConfigs: try DescribeConfigsApi.handle(c, &r)
        case .findCoordinator: try FindCoordinatorApi.handle(c, &r)
        case .joinGroup, .syncGroup, .heartbeat, .leaveGroup, .offsetCommit, .offsetFetch, .describeGroups,
            .listGroups, .txnOffsetCommit:
            try await GroupApis.handle(c, &r)
        case .initProducerId, .addPartitionsToTxn, .addOffsetsToTxn, .endTxn:
            try await TransactionApis.handle(c, &r)
        case .saslHandshake, .saslAuthenticate:
            try await SaslApis.handle(c, &r)
        }
    }

    static func frameResponse(correlationID: Int32, flexibleHeader: Bool, _ body: (inout ByteBuffer) -> Void) -> ByteBuffer {
        var out = ByteBuffer()
        out.writeInteger(Int32(0))
        out.writeInteger(correlationID)
        if flexibleHeader { out.writeUnsignedVarint(0) }
        body(&out)
        out.setInteger(Int32(out.readableBytes - 4), at: out.readerIndex)
        return out
    }
}

extension RequestContext {
    /// Response header v1 (tagged fields) for flexible versions, except ApiVersions, whose response header is
    /// always v0 so that a client can read it before it knows what the broker supports.
    var responseHeaderIsFlexible: Bool { flexible && api != .apiVersions }
}
