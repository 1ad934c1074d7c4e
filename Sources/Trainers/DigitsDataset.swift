import CZlib
import Foundation
import SeededRandom

/// The 8x8 handwritten digits, split once into training and validation sets.
///
/// Pixels are scaled to [0, 1]. The split is a fixed seeded shuffle: 1,437 images for
/// training and 360 (20%) for validation, the same on every machine.
struct DigitsDataset: Sendable {
    static let pixels = 64
    static let classes = 10

    /// Row-major count × 64 features.
    let trainFeatures: [Float]
    let trainLabels: [Int]
    let validationFeatures: [Float]
    let validationLabels: [Int]

    var trainCount: Int { trainLabels.count }
    var validationCount: Int { validationLabels.count }

    /// Decodes the embedded copy; fails only if the embedded data were damaged.
    static func load() throws -> DigitsDataset {
        guard let compressed = Data(base64Encoded: compressedCSV, options: .ignoreUnknownCharacters) else {
            throw TrainerError("the embedded digits data are not valid base64")
        }
        // Every field is a small non-negative integer (pixels 0-16, then the label): parsed byte by
        // byte, as each trial process loads the data before its first epoch.
        var rows: [(features: [Float], label: Int)] = []
        var fields: [Int] = []
        fields.reserveCapacity(pixels + 1)
        var current: Int?
        func endRow() throws {
            if let value = current { fields.append(value) }
            current = nil
            guard !fields.isEmpty else { return }
            guard fields.count == pixels + 1 else { throw TrainerError("a digits row has \(fields.count) fields") }
            rows.append((fields.prefix(pixels).map { Float($0) / 16 }, fields[pixels]))
            fields.removeAll(keepingCapacity: true)
        }
        for byte in try gunzip(compressed) {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): current = (current ?? 0) * 10 + Int(byte - UInt8(ascii: "0"))
            case UInt8(ascii: ","):
                guard let value = current else { throw TrainerError("an empty field in the digits data") }
                fields.append(value)
                current = nil
            case UInt8(ascii: "\n"): try endRow()
            case UInt8(ascii: " "), UInt8(ascii: "\r"), UInt8(ascii: "\t"): continue
            default: throw TrainerError("unexpected byte \(byte) in the digits data")
            }
        }
        try endRow()
        var generator = SplitMix64(seed: 20_241_123)
        rows.shuffle(using: &generator)
        let validation = rows.count / 5
        let train = rows.dropFirst(validation)
        let held = rows.prefix(validation)
        return DigitsDataset(
            trainFeatures: train.flatMap(\.features), trainLabels: train.map(\.label),
            validationFeatures: held.flatMap(\.features), validationLabels: held.map(\.label))
    }

    /// Inflates gzip data with zlib.
    static func gunzip(_ data: Data) throws -> Data {
        var stream = z_stream()
        // 16 + MAX_WBITS: expect a gzip header.
        guard inflateInit2_(&stream, 16 + MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw TrainerError("zlib could not start")
        }
        defer { inflateEnd(&stream) }
        var output = Data()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        let status: Int32 = data.withUnsafeBytes { input in
            stream.next_in = UnsafeMutablePointer(mutating: input.bindMemory(to: UInt8.self).baseAddress)
            stream.avail_in = uInt(input.count)
            var result: Int32 = Z_OK
            while result == Z_OK {
                result = chunk.withUnsafeMutableBufferPointer { buffer in
                    stream.next_out = buffer.baseAddress
                    stream.avail_out = uInt(buffer.count)
                    let code = inflate(&stream, Z_NO_FLUSH)
                    output.append(buffer.baseAddress!, count: buffer.count - Int(stream.avail_out))
                    return code
                }
            }
            return result
        }
        guard status == Z_STREAM_END else { throw TrainerError("the embedded digits data are not valid gzip (\(status))") }
        return output
    }
}

/// A built-in trainer that cannot run: bad hyperparameters or damaged data.
struct TrainerError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
