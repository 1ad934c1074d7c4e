import ArgumentParser

/// The CURVE options of a coordinator or a worker: the secret key of this process, and the
/// public key(s) of the other side it trusts. `Peers` says which those are and names their
/// flag, so each command keeps its own flag with its own help:
/// `sextant coordinator --curve-secret-key FILE --authorized-keys DIR` and
/// `sextant worker --curve-secret-key FILE --server-key FILE`.
struct CurveOptions<Peers: CurvePeers>: ParsableArguments {
    @Option(help: ArgumentHelp(Peers.secretKeyHelp, valueName: "FILE"))
    var curveSecretKey: String?

    @Option(name: .customLong(Peers.flag), help: ArgumentHelp(Peers.help, valueName: Peers.valueName))
    var peerKeys: String?

    func validate() throws {
        guard (curveSecretKey == nil) == (peerKeys == nil) else {
            throw ValidationError("--curve-secret-key and --\(Peers.flag) go together")
        }
    }
}

/// The public keys one side of a CURVE connection trusts, and the flag that names them.
protocol CurvePeers {
    /// The flag's long name, without dashes.
    static var flag: String { get }
    static var valueName: String { get }
    static var help: String { get }
    static var secretKeyHelp: String { get }
}

/// A coordinator's peers: the directory of the `*.pub` keys of the workers allowed in.
enum WorkerKeys: CurvePeers {
    static let flag = "authorized-keys"
    static let valueName = "DIR"
    static let help = "Directory of the *.pub keys of the workers allowed in (with --curve-secret-key)."
    static let secretKeyHelp = "CURVE secret key file of the coordinator (sextant keygen); "
        + "turns on encryption and authentication."
}

/// A worker's peer: the coordinator's public key file.
enum ServerKey: CurvePeers {
    static let flag = "server-key"
    static let valueName = "FILE"
    static let help = "The coordinator's CURVE public key file (.pub), with --curve-secret-key."
    static let secretKeyHelp = "CURVE secret key file of this worker (sextant keygen)."
}
