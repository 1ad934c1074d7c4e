package import Foundation

/// A connected worker as `/api/workers` shows it; a host the worker did not give is `null`.
package struct WorkerEntry: Codable, Sendable, Hashable {
    package var name: String
    package var host: String?
    package var slots: Int
    /// Ids of the trials it runs now.
    package var running: [Int64]
    package var lastHeartbeatSeconds: Double
    package var joinedAt: Date

    enum CodingKeys: String, CodingKey {
        case name, host, slots, running
        case lastHeartbeatSeconds = "last_heartbeat_seconds", joinedAt = "joined_at"
    }

    package init(_ worker: LiveStatus.Worker) {
        name = worker.name; host = worker.host; slots = worker.slots; running = worker.running
        lastHeartbeatSeconds = worker.secondsSinceHeartbeat; joinedAt = worker.joinedAt
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(host, forKey: .host)
        try container.encode(slots, forKey: .slots)
        try container.encode(running, forKey: .running)
        try container.encode(lastHeartbeatSeconds, forKey: .lastHeartbeatSeconds)
        try container.encode(joinedAt, forKey: .joinedAt)
    }
}
