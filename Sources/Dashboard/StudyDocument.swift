package import Foundation

/// How the JSON of `/api/*`, `sextant export --format json` and `status --json` is written
/// and read: keys sorted, dates as ISO 8601 strings with milliseconds in UTC. The shapes
/// themselves are `StudySummary`, `StudyOverview`, `TrialEntry` and `WorkerEntry`
/// (docs/dashboard.md).
package enum StudyDocument {
    /// ISO 8601 with milliseconds in UTC, e.g. `2026-11-23T11:20:00.123Z`.
    package static func iso(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }

    /// An encoder for the documents: keys sorted, dates as `iso(_:)` writes them.
    package static func encoder(pretty: Bool = false) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted] : [.sortedKeys]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(iso(date))
        }
        return encoder
    }

    /// A decoder for the documents, reading dates as `iso(_:)` writes them.
    package static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            return try Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)
        }
        return decoder
    }

    /// `value` as compact JSON with sorted keys.
    package static func data(_ value: some Encodable) throws -> Data {
        try encoder().encode(value)
    }

    /// A finite number, or nil (null): JSON has no NaN or infinity.
    static func finite(_ value: Double?) -> Double? {
        guard let value, value.isFinite else { return nil }
        return value
    }
}
