import Foundation
import Testing
import ZeroMQ

@Suite(.timeLimit(.minutes(1))) struct SocketPumpTests {
    @Test func routerAndDealerExchangeMultipartMessages() async throws {
        let context = try Context()
        let endpoint = "inproc://pump-\(UUID().uuidString)"
        let router = try SocketPump(context: context, type: .router, name: "router") { socket in
            try socket.set(.routerMandatory, 1)
            try socket.bind(endpoint)
        }
        let dealer = try SocketPump(context: context, type: .dealer, name: "dealer") { socket in
            try socket.setRoutingID("peer-1")
            try socket.connect(endpoint)
        }
        // Larger than any fixed receive buffer: must arrive whole.
        let big = Data((0..<300_000).map { UInt8($0 % 251) })
        dealer.send([Data("1".utf8), Data("HELLO".utf8), big])
        var routerMessages = router.incoming.makeAsyncIterator()
        let received = try #require(await routerMessages.next())
        #expect(received.count == 4)
        #expect(String(decoding: received[0], as: UTF8.self) == "peer-1")
        #expect(received[3] == big)

        router.send([received[0], Data("1".utf8), Data("WELCOME".utf8), Data("{}".utf8)])
        var dealerMessages = dealer.incoming.makeAsyncIterator()
        let reply = try #require(await dealerMessages.next())
        #expect(reply.map { String(decoding: $0, as: UTF8.self) } == ["1", "WELCOME", "{}"])

        // A peer that does not exist: dropped and counted, never blocking.
        router.send([Data("nobody".utf8), Data("x".utf8)])
        dealer.send([Data("ping".utf8)])
        _ = await routerMessages.next()
        #expect(router.undeliveredCount == 1)
        dealer.stop()
        router.stop()
    }

    @Test func bindErrorsCarryTheLibraryText() throws {
        let context = try Context()
        let endpoint = "inproc://taken-\(UUID().uuidString)"
        let first = try SocketPump(context: context, type: .router, name: "a") { try $0.bind(endpoint) }
        defer { first.stop() }
        let error = #expect(throws: ZeroMQError.self) {
            _ = try SocketPump(context: context, type: .router, name: "b") { try $0.bind(endpoint) }
        }
        #expect(error?.code == EADDRINUSE)
        #expect(error?.description.contains("Address already in use") == true)
        #expect(throws: ZeroMQError.self) {
            _ = try SocketPump(context: context, type: .dealer, name: "c") { try $0.connect("nonsense://x") }
        }
    }

    @Test func curveIsAvailable() {
        #expect(Context.has("curve"))
        #expect(Context.version.hasPrefix("4."))
    }
}
