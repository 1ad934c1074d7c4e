import ArgumentParser
import Foundation
import Logging
import TrialModel
import Worker
import ZeroMQ
import ZeroMQTransport

struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run trials for a coordinator, once per trial, until it says the study is over.",
        usage: "sextant worker <endpoint> [<options>] (--builtin <name> | -- <command>)",
        discussion: """
            Example:
              sextant worker tcp://HOST:5555 -- python3 train.py --lr {learning_rate}
            {name} is replaced by the parameter's value; the command also gets \
            SEXTANT_TRIAL_ID, SEXTANT_PARAMS (JSON) and SEXTANT_PARAM_<NAME>. It reports by \
            printing lines such as val_loss=0.123 (optionally with step=N); the last one is \
            the final value.
              sextant worker tcp://HOST:5555 --slots 4 --gpus 0,1,2,3 --builtin mlp-digits
            runs four built-in trainings at once, each slot with its own \
            CUDA_VISIBLE_DEVICES (and every trial gets SEXTANT_SLOT).
            """
    )

    @Argument(help: "Coordinator endpoint, e.g. tcp://HOST:5555.")
    var endpoint: String

    @Option(help: "Trials to run at once.")
    var slots: Int = 1

    @Option(help: "Worker name shown by the coordinator (default: HOST-PID).")
    var name: String?

    @Option(help: "GPU ids shared out among the slots, e.g. 0,1,2,3: each slot's trials get their own CUDA_VISIBLE_DEVICES.")
    var gpus: String?

    @Option(help: "Built-in trainer to run instead of a command.")
    var builtin: String?

    @OptionGroup(title: "Encryption") var curveOptions: CurveOptions<ServerKey>

    @Argument(parsing: .postTerminator, help: "Training command, after --.")
    var command: [String] = []

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard slots >= 1 && slots <= 256 else { throw ValidationError("--slots must be between 1 and 256") }
        if let gpus {
            guard !gpuList(gpus).isEmpty, !gpuList(gpus).contains(where: \.isEmpty) else {
                throw ValidationError("--gpus takes a comma-separated list of GPU ids, e.g. --gpus 0,1,2,3")
            }
        }
        guard endpoint.contains("://") else {
            throw ValidationError("the endpoint must look like tcp://HOST:5555, not '\(endpoint)'")
        }
        if let builtin {
            guard builtin == "mlp-digits" else {
                throw ValidationError("unknown built-in trainer '\(builtin)'; available: mlp-digits")
            }
            guard command.isEmpty else { throw ValidationError("give either --builtin or a command after --, not both") }
            return
        }
        guard !command.isEmpty else {
            throw ValidationError("give a training command after --, e.g. -- python3 train.py --lr {learning_rate}")
        }
    }

    func gpuList(_ text: String) -> [String] {
        text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// The user's command, or this binary's `train` subcommand for a built-in trainer, so both
    /// take the same path through reports, pruning, timeouts and crashes.
    var trialCommand: [String] {
        guard let builtin else { return command }
        return [Self.executablePath, "train", builtin]
    }

    static var executablePath: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    func run() async throws {
        Console.bootstrapLogging(logging)
        let logger = Logger(label: "sextant.worker")
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "worker"
        let pid = ProcessInfo.processInfo.processIdentifier
        let workerName = name ?? "\(host)-\(pid)"
        let routingID = "\(workerName)-\(UInt32.random(in: 0...UInt32.max))"
        let context = try Context()
        var curve: (keys: CurveKeyPair, serverKey: String)?
        if let curveSecretKey = curveOptions.curveSecretKey, let serverKey = curveOptions.peerKeys {
            curve = (try CurveKeys.keyPair(secretFile: curveSecretKey), try CurveKeys.readLine(serverKey, what: "server key file"))
        }
        let transport = try ZeroMQDealerTransport(context: context, endpoint: endpoint, routingID: routingID, curve: curve)
        let gpuIDs = gpus.map(gpuList) ?? []
        var intro = "worker \(workerName): \(slots) slot\(slots == 1 ? "" : "s"), connecting to \(endpoint)"
        if !gpuIDs.isEmpty {
            intro += "; GPUs per slot: " + (0..<slots).map {
                WorkerConfiguration.visibleDevices(slot: $0, slots: slots, gpus: gpuIDs) ?? ""
            }.joined(separator: " | ")
        }
        Console.line(intro)
        let agent = WorkerAgent(
            configuration: WorkerConfiguration(name: workerName, slots: slots, host: ProcessInfo.processInfo.hostName,
                                               gpus: gpuIDs),
            runner: .command(CommandTemplate(trialCommand)), transport: transport, logger: logger,
            onEvent: Self.show)
        let signals = Signals.onTerminate {
            Console.line("stopping: running trials are handed back to the coordinator")
            agent.stop()
        }
        await agent.run()
        signals.cancel()
        transport.close()
        Console.line("worker \(workerName) exits")
    }

    @Sendable static func show(_ event: WorkerEvent) {
        let time = Console.timestamp()
        switch event {
        case .joined(let study):
            Console.line("\(time) joined study \(study)")
        case .trialStarted(let id, let params):
            Console.line("\(time) trial \(id): \(params)")
        case .trialEnded(let id, let outcome, let value, let reason):
            var text = "\(time) trial \(id) \(outcome.rawValue)"
            if let value { text += " \(TrialFormatting.format(value))" }
            if let reason { text += " (\(reason))" }
            Console.line(text)
        }
    }
}
