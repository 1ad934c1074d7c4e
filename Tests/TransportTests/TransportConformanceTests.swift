import Foundation
import Testing
import Transport
import TransportTesting
import ZeroMQ
import ZeroMQTransport

/// A router and a way to connect dealers to it: one of the implementations under test.
protocol TransportPair: Sendable {
    var router: any RouterTransport { get }
    func connect(_ routingID: String) throws -> any DealerTransport
    func close()
}

struct InMemoryPair: TransportPair {
    let memory = InMemoryRouterTransport()
    var router: any RouterTransport { memory }
    func connect(_ routingID: String) -> any DealerTransport { memory.connect(routingID: routingID) }
    func close() { memory.close() }
}

final class ZeroMQPair: TransportPair {
    let context: Context
    let endpoint: String
    let router: any RouterTransport

    init() throws {
        context = try Context()
        endpoint = "tcp://127.0.0.1:\(try #require(freeLoopbackPort()))"
        router = try ZeroMQRouterTransport(context: context, endpoint: endpoint)
    }

    func connect(_ routingID: String) throws -> any DealerTransport {
        try ZeroMQDealerTransport(context: context, endpoint: endpoint, routingID: routingID)
    }

    func close() { router.close() }
}

/// The contract of `RouterTransport` and `DealerTransport`, run against every implementation,
/// so the in-memory twins the state machines are tested with behave as the real sockets do.
@Suite(.timeLimit(.minutes(1))) struct TransportConformanceTests {
    enum Kind: String, CaseIterable, CustomTestStringConvertible {
        case inMemory, zeroMQ
        var testDescription: String { rawValue }

        func make() throws -> any TransportPair {
            switch self {
            case .inMemory: InMemoryPair()
            case .zeroMQ: try ZeroMQPair()
            }
        }
    }

    static func frames(_ texts: String...) -> [Data] { texts.map { Data($0.utf8) } }

    /// What a dealer sends until the router has seen it: a ZeroMQ dealer drops what it sends
    /// before its connection is up (the protocol retries HELLO the same way).
    static let join = frames("join")

    /// The next `count` messages of a stream (joins skipped), or fewer if it ends.
    static func collect<Element>(_ count: Int, from stream: AsyncStream<Element>,
                                 frames: (Element) -> [Data]) async -> [Element] {
        var received: [Element] = []
        guard count > 0 else { return received }
        for await element in stream where frames(element) != join {
            received.append(element)
            if received.count == count { break }
        }
        return received
    }

    static func collect(_ count: Int, from router: any RouterTransport) async -> [(peer: PeerID, frames: [Data])] {
        await collect(count, from: router.inbound, frames: \.frames)
    }

    static func collect(_ count: Int, from dealer: any DealerTransport) async -> [[Data]] {
        await collect(count, from: dealer.inbound, frames: { $0 })
    }

    /// Connects a dealer and waits until the router has heard from it; returns it and its peer id.
    static func join(_ pair: any TransportPair, as routingID: String) async throws
        -> (dealer: any DealerTransport, peer: PeerID)
    {
        let dealer = try pair.connect(routingID)
        let sender = Task {
            while !Task.isCancelled {
                dealer.send(join)
                try await Task.sleep(for: .milliseconds(10))
            }
        }
        defer { sender.cancel() }
        for await (peer, frames) in pair.router.inbound where frames == join && peer.description == routingID {
            return (dealer, peer)
        }
        throw CancellationError()
    }

    @Test(arguments: Kind.allCases) func dealerMessagesReachTheRouterInOrderWithTheirPeer(_ kind: Kind) async throws {
        let pair = try kind.make()
        defer { pair.close() }
        let (dealer, _) = try await Self.join(pair, as: "worker-1")
        defer { dealer.close() }
        let binary = Data((0..<70_000).map { UInt8($0 % 256) })
        let sent = (0..<50).map { [Data("1".utf8), Data("REPORT".utf8), Data("\($0)".utf8)] } + [[Data(), binary]]
        for frames in sent { dealer.send(frames) }
        let received = await Self.collect(sent.count, from: pair.router)
        #expect(received.map(\.frames) == sent)
        #expect(received.allSatisfy { $0.peer.description == "worker-1" })
    }

    @Test(arguments: Kind.allCases) func repliesGoOnlyToTheirPeer(_ kind: Kind) async throws {
        let pair = try kind.make()
        defer { pair.close() }
        let (first, a) = try await Self.join(pair, as: "a")
        let (second, b) = try await Self.join(pair, as: "b")
        defer { first.close(); second.close() }
        #expect(a != b)
        pair.router.send(Self.frames("to b", "1"), to: b)
        pair.router.send(Self.frames("to a"), to: a)
        pair.router.send(Self.frames("to b", "2"), to: b)
        #expect(await Self.collect(1, from: first) == [Self.frames("to a")])
        #expect(await Self.collect(2, from: second) == [Self.frames("to b", "1"), Self.frames("to b", "2")])
    }

    @Test(arguments: Kind.allCases) func sendingToAnUnknownPeerNeitherBlocksNorBreaksTheRouter(_ kind: Kind) async throws {
        let pair = try kind.make()
        defer { pair.close() }
        let (dealer, peer) = try await Self.join(pair, as: "known")
        defer { dealer.close() }
        for index in 0..<1000 { pair.router.send(Self.frames("lost \(index)"), to: PeerID(Data("nobody".utf8))) }
        pair.router.send(Self.frames("still here"), to: peer)
        #expect(await Self.collect(1, from: dealer) == [Self.frames("still here")])
    }

    @Test(arguments: Kind.allCases) func closingTheRouterEndsItsInbound(_ kind: Kind) async throws {
        let pair = try kind.make()
        let (dealer, _) = try await Self.join(pair, as: "w")
        defer { dealer.close() }
        var messages = pair.router.inbound.makeAsyncIterator()
        pair.close()
        while await messages.next() != nil {}
    }

    @Test(arguments: Kind.allCases) func closingADealerEndsItsInbound(_ kind: Kind) async throws {
        let pair = try kind.make()
        defer { pair.close() }
        let (dealer, peer) = try await Self.join(pair, as: "w")
        pair.router.send(Self.frames("welcome"), to: peer)
        var messages = dealer.inbound.makeAsyncIterator()
        #expect(await messages.next() == Self.frames("welcome"))
        dealer.close()
        while await messages.next() != nil {}
    }
}
