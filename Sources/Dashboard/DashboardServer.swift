import Foundation
import Hummingbird
package import Logging
import NIOCore

/// Why the dashboard did not start.
package struct DashboardError: Error, CustomStringConvertible {
    package var description: String
}

/// The dashboard's HTTP server: the page, `/api/*`, `/metrics` and `/healthz`. Read-only:
/// only GET (and HEAD) routes exist. With a token, every route but `/healthz` requires it.
package final class DashboardServer: Sendable {
    /// The address actually bound (the port is resolved when 0 was asked for).
    package let host: String
    package let port: Int
    let task: Task<Void, any Error>

    /// Binds `host:port` and serves until `stop()`; throws when the address cannot be bound.
    package static func start(
        host: String, port: Int, token: String?, source: any DashboardSource, logger: Logger
    ) async throws -> DashboardServer {
        // The HTTP layer logs a cancelled connection at shutdown as an error; what matters to a
        // user (the address cannot be bound) is thrown as `DashboardError` instead.
        var quiet = logger
        quiet.logLevel = .critical
        let logger = quiet
        // The bound port, or why binding failed: the first of them wins.
        let (bound, binding) = AsyncThrowingStream<Int, any Error>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let task = Task {
            let router = Router()
            router.add(middleware: TokenMiddleware(token: token))
            Self.addRoutes(to: router, source: source)
            let application = Application(
                router: router,
                configuration: .init(address: .hostname(host, port: port), serverName: "sextant"),
                onServerRunning: { channel in
                    binding.yield(channel.localAddress?.port ?? port)
                    binding.finish()
                },
                logger: logger)
            do {
                try await application.run()
                binding.finish(throwing: DashboardError(description: "stopped"))
            } catch {
                binding.finish(throwing: error)
                throw error
            }
        }
        do {
            var ports = bound.makeAsyncIterator()
            guard let actual = try await ports.next() else { throw DashboardError(description: "stopped") }
            return DashboardServer(host: host, port: actual, task: task)
        } catch {
            task.cancel()
            throw DashboardError(description: "cannot serve the dashboard on \(host):\(port): \(error)")
        }
    }

    init(host: String, port: Int, task: Task<Void, any Error>) {
        self.host = host; self.port = port; self.task = task
    }

    package func stop() { task.cancel() }

    /// `/api/study`, `/api/trials`, `/api/workers` and `/metrics` show one study: `?study=NAME`,
    /// or the source's default. A name the source does not hold is answered 404, naming the known ones.
    static func addRoutes(to router: Router<BasicRequestContext>, source: any DashboardSource) {
        @Sendable func snapshot(_ request: Request) async throws -> DashboardSnapshot {
            do {
                return try await source.snapshot(study: request.uri.queryParameters.get("study"))
            } catch let error as UnknownStudyError {
                throw HTTPError(.notFound, message: error.description)
            }
        }
        router.get("/healthz") { _, _ in Response.text("ok\n") }
        router.get("/") { _, _ in Response.html(DashboardPage.html) }
        router.get("/api/studies") { _, _ in try Response.json(try await source.studies()) }
        router.get("/api/study") { request, _ in try Response.json(StudyOverview(try await snapshot(request))) }
        router.get("/api/trials") { request, _ in
            let snapshot = try await snapshot(request)
            let entries = TrialEntry.withReports(snapshot.trials, reports: snapshot.reports,
                                                 forecasts: snapshot.live?.forecasts ?? [:])
            return try Response.json(TrialEntry.marked(entries, trials: snapshot.trials, spec: snapshot.spec))
        }
        router.get("/api/workers") { request, _ in
            try Response.json((try await snapshot(request).live?.workers ?? []).map(WorkerEntry.init))
        }
        router.get("/metrics") { request, _ in
            Response.text(PrometheusText.render(try await snapshot(request)), type: "text/plain; version=0.0.4; charset=utf-8")
        }
    }
}

extension Response {
    static func text(_ text: String, type: String = "text/plain; charset=utf-8") -> Response {
        Response(status: .ok, headers: [.contentType: type, .cacheControl: "no-store"],
                 body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func html(_ page: String) -> Response { text(page, type: "text/html; charset=utf-8") }

    static func json(_ value: some Encodable) throws -> Response {
        let data = try StudyDocument.data(value)
        return Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Requires the token as `Authorization: Bearer TOKEN`, `?token=TOKEN` or the
/// `sextant_token` cookie (set when a page is opened with `?token=`).
struct TokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: String?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let token, request.uri.path != "/healthz" else { return try await next(request, context) }
        let query = request.uri.queryParameters.get("token")
        let bearer = request.headers[.authorization].flatMap { header in
            header.hasPrefix("Bearer ") ? String(header.dropFirst(7)) : nil
        }
        let cookie = request.headers[.cookie].flatMap { header in
            header.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
                .first { $0.hasPrefix("sextant_token=") }.map { String($0.dropFirst("sextant_token=".count)) }
        }
        guard [query, bearer, cookie].contains(where: { $0.map { Self.equal($0, token) } ?? false }) else {
            return Response(status: .unauthorized, headers: [.contentType: "text/plain; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(
                                string: "this dashboard needs its token: open it with ?token=TOKEN\n")))
        }
        var response = try await next(request, context)
        if query != nil {
            response.headers[.setCookie] = "sextant_token=\(token); Path=/; HttpOnly; SameSite=Strict"
        }
        return response
    }

    /// Compares in time independent of where the strings differ.
    static func equal(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
