import ArgumentParser
import Foundation
import ZeroMQ

/// Reading and writing CURVE key files: `NAME.key` holds the secret key (mode 0600),
/// `NAME.pub` the public key, each as one line of Z85 text.
enum CurveKeys {
    static func readLine(_ path: String, what: String) throws -> String {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ValidationError("cannot read the \(what) \(path)")
        }
        let key = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard key.utf8.count == 40 else {
            throw ValidationError("\(path) does not hold a CURVE key (40 Z85 characters); make one with sextant keygen")
        }
        return key
    }

    static func keyPair(secretFile: String) throws -> CurveKeyPair {
        let secret = try readLine(secretFile, what: "secret key file")
        do {
            return try CurveKeyPair(secretKey: secret)
        } catch {
            throw ValidationError("\(secretFile) does not hold a valid CURVE secret key")
        }
    }

    /// Every `*.pub` key in `directory`.
    static func authorized(in directory: String) throws -> Set<String> {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
            throw ValidationError("cannot read the authorized keys directory \(directory)")
        }
        let keys = try names.filter { $0.hasSuffix(".pub") }.map {
            try readLine((directory as NSString).appendingPathComponent($0), what: "public key file")
        }
        guard !keys.isEmpty else { throw ValidationError("\(directory) holds no *.pub worker keys") }
        return Set(keys)
    }
}

struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Write a CURVE key pair: NAME.key (secret, mode 0600) and NAME.pub.",
        discussion: """
            Example:
              sextant keygen coordinator --directory keys  # keys/coordinator.key and .pub
              sextant keygen gpu-3 --directory keys        # one pair per worker
            Give the coordinator its .key and a directory of the workers' .pub files; \
            give each worker its own .key and the coordinator's .pub. Secret keys never \
            leave their machine.
            """
    )

    @Argument(help: "Name of the key pair (file names).")
    var name: String

    @Option(help: "Directory to write to (created if missing).")
    var directory: String = "."

    @Flag(help: "Replace existing files.")
    var force = false

    func validate() throws {
        guard name.range(of: #"^[A-Za-z0-9_.\-]+$"#, options: .regularExpression) != nil else {
            throw ValidationError("the name may hold letters, digits, _ . - only")
        }
    }

    func run() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let secretPath = (directory as NSString).appendingPathComponent("\(name).key")
        let publicPath = (directory as NSString).appendingPathComponent("\(name).pub")
        if !force, FileManager.default.fileExists(atPath: secretPath) || FileManager.default.fileExists(atPath: publicPath) {
            Console.error("\(secretPath) or \(publicPath) exists; pass --force to replace it")
            throw ExitCode(1)
        }
        let pair = try CurveKeyPair.generate()
        guard FileManager.default.createFile(atPath: secretPath, contents: Data((pair.secretKey + "\n").utf8),
                                             attributes: [.posixPermissions: 0o600]) else {
            Console.error("cannot write \(secretPath)")
            throw ExitCode(1)
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: secretPath)
        try (pair.publicKey + "\n").write(toFile: publicPath, atomically: true, encoding: .utf8)
        Console.line("wrote \(secretPath) (secret, mode 0600) and \(publicPath)")
    }
}
