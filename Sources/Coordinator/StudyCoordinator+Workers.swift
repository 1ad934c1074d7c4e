import Foundation
import Logging
import Pruning
import Samplers
import Storage
import Timekeeping
import Transport
import TrialModel
import WireProtocol

// Workers: their messages in, joining, liveness, slots, and reconciling what they run.

extension StudyCoordinator {
    func send(_ message: Message, to peer: PeerID) {
        if outbox != nil {
            outbox?.append((peer, message))
        } else {
            transport.send(WireCodec.encode(message), to: peer)
        }
    }

    func handle(_ frames: [Data], from peer: PeerID) throws {
        let message: Message
        do {
            message = try WireCodec.decode(frames)
        } catch {
            logger.warning("dropped a message that is not protocol v1", metadata: ["peer": "\(peer)", "error": "\(error)"])
            return
        }
        workers[peer]?.lastSeen = timekeeper.now
        switch message {
        case .hello(let hello): try join(peer, hello)
        case .report(let report): try record(report, from: peer)
        case .result(let result): try complete(result, from: peer)
        case .heartbeat(let heartbeat):
            // A worker this coordinator does not know (it restarted): its heartbeat says enough to rejoin.
            if workers[peer] == nil, let name = heartbeat.worker, let slots = heartbeat.slots {
                try join(peer, Hello(worker: name, slots: slots, running: heartbeat.running ?? []))
            } else if let running = heartbeat.running {
                try reconcile(peer, running: Set(running).union(heartbeat.pendingResults ?? []))
            }
        case .bye: try leave(peer)
        case .welcome, .trial, .decision, .ack:
            logger.warning("dropped a message only a coordinator sends", metadata: ["type": "\(message.type)"])
        }
    }

    func join(_ peer: PeerID, _ hello: Hello) throws {
        let slots = max(1, min(hello.slots, 1024))
        let hello = Hello(worker: String(hello.worker.prefix(64)), slots: slots, running: hello.running,
                          host: hello.host.map { String($0.prefix(255)) })
        // Trials the worker still runs from before a reconnect stay assigned to it.
        var running = Set<TrialID>()
        for id in hello.running {
            guard let trial = trials[id], !trial.state.isFinished else { continue }
            if unclaimed.removeValue(forKey: id) != nil {
                try store.reclaim(id, worker: hello.worker)
                trials.update(id) { $0.worker = hello.worker }
                logger.info("trial reclaimed by its worker", metadata: ["trial": "\(id)", "worker": "\(hello.worker)"])
            } else if let index = requeued.firstIndex(of: id) {
                requeued.remove(at: index)
                // The lost attempt is the trial's again, with the reports stored before it was lost.
                let kept = try store.reclaimRequeued(id, worker: hello.worker)
                for report in kept { reports.record(trial: id, step: report.step, value: report.value) }
                trials.update(id) { $0.state = .running; $0.worker = hello.worker; $0.step = kept.map(\.step).max() }
            }
            running.insert(id)
        }
        let isNew = workers[peer] == nil
        // A repeated HELLO from a known connection may be stale (queued before a TRIAL went out):
        // trials assigned to this connection stay assigned until their RESULT arrives.
        if let known = workers[peer] { running.formUnion(known.running) }
        let state = WorkerState(name: hello.worker, host: hello.host ?? workers[peer]?.host, slots: slots,
                                running: running, lastSeen: timekeeper.now,
                                joinedAt: workers[peer]?.joinedAt ?? timekeeper.date)
        workers[peer] = state
        maybeFree.insert(peer)
        send(.welcome(Welcome(study: spec.name, metric: spec.metric.name, goal: spec.metric.goal,
                              heartbeatMilliseconds: Int(configuration.heartbeatInterval.components.seconds * 1000
                                  + configuration.heartbeatInterval.components.attoseconds / 1_000_000_000_000_000))),
             to: peer)
        if isNew { onEvent(.workerJoined(name: hello.worker, slots: slots)) }
        logger.info("worker joined", metadata: ["worker": "\(hello.worker)", "slots": "\(slots)"])
        dispatch()
    }

    /// Trials assigned to `peer` more than two heartbeats ago that it neither runs nor has a
    /// result for never reached it (a TRIAL lost on the way): free the slot and requeue them.
    func reconcile(_ peer: PeerID, running: Set<TrialID>) throws {
        guard let worker = workers[peer] else { return }
        let cutoff = timekeeper.now - configuration.heartbeatInterval * 2
        let missing = worker.running.filter { id in
            !running.contains(id) && (worker.assignedAt[id].map { $0 < cutoff } ?? true)
        }
        guard !missing.isEmpty else { return }
        for id in missing { release(id, from: worker, peer: peer) }
        for id in missing { try requeue(id, reason: "worker \(worker.name) never received it") }
        dispatch()
    }

    func leave(_ peer: PeerID) throws {
        guard let worker = workers.removeValue(forKey: peer) else { return }
        for id in worker.running { try requeue(id, reason: "worker \(worker.name) left") }
        onEvent(.workerLeft(name: worker.name))
        dispatch()
    }

    func tick() throws {
        let now = timekeeper.now
        for (id, deadline) in unclaimed where now >= deadline {
            unclaimed[id] = nil
            try requeue(id, reason: "its worker did not rejoin after the restart")
        }
        let deadline = configuration.heartbeatInterval * configuration.liveness
        for (peer, worker) in workers {
            if now - worker.lastSeen > deadline {
                workers[peer] = nil
                for id in worker.running { try requeue(id, reason: "worker \(worker.name) lost") }
                logger.warning("worker lost", metadata: ["worker": "\(worker.name)"])
                onEvent(.workerLost(name: worker.name, requeued: worker.running.count))
            } else {
                send(.heartbeat(Heartbeat()), to: peer)
            }
        }
        dispatch()
    }

    /// Frees the slot `id` held on `worker`; the worker may now take another trial.
    func release(_ id: TrialID, from worker: WorkerState, peer: PeerID) {
        worker.running.remove(id)
        worker.assignedAt[id] = nil
        maybeFree.insert(peer)
    }

    /// The worker with the most free slots (ties: the one that joined first by name).
    func peerWithFreeSlot() -> PeerID? {
        var chosen: (peer: PeerID, worker: WorkerState)?
        var full: [PeerID] = []
        // Only workers that joined or freed a slot since they were last seen full can have one.
        for peer in maybeFree {
            guard let worker = workers[peer], worker.free > 0 else {
                full.append(peer)
                continue
            }
            if let current = chosen, current.worker.free > worker.free
                || (current.worker.free == worker.free && current.worker.name <= worker.name)
            {
                continue
            }
            chosen = (peer, worker)
        }
        for peer in full { maybeFree.remove(peer) }
        return chosen?.peer
    }
}
