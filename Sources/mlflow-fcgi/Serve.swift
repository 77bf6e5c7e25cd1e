import ArgumentParser
import FastCGIServer
import TrackingAPI
import TrackingStore

#if canImport(Glibc)
import Glibc
#endif

/// `mlflow-fcgi serve`: one FastCGI worker process.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the tracking API over FastCGI.",
        discussion: """
            Listens on --socket, on --listen, or (with neither) on the socket inherited as fd 0 \
            from spawn-fcgi, mod_fcgid or systemd. Stops gracefully on TERM, INT, USR1 or QUIT.
            """)

    @Option(name: .customLong("socket"), help: "Unix socket to create and listen on (env MLFLOW_FCGI_SOCKET).")
    var socketOption: String?
    /// The option, or its environment variable.
    var socket: String? { socketOption ?? environment("MLFLOW_FCGI_SOCKET") }

    @Option(help: "Permissions of the socket created with --socket, in octal.")
    var socketMode: String = "660"

    @Option(name: .customLong("listen"), help: "TCP address to listen on, e.g. 127.0.0.1:9000 (env MLFLOW_FCGI_LISTEN).")
    var listenOption: String?
    /// The option, or its environment variable.
    var listen: String? { listenOption ?? environment("MLFLOW_FCGI_LISTEN") }

    @Option(help: "Request threads (env MLFLOW_FCGI_THREADS).")
    var threads: Int = environment("MLFLOW_FCGI_THREADS").flatMap { Int($0) } ?? 4

    @Option(help: "URL prefix the API is mounted under, e.g. /mlflow (env MLFLOW_FCGI_URL_PREFIX).")
    var urlPrefix: String = environment("MLFLOW_FCGI_URL_PREFIX") ?? ""

    @Option(help: "debug, info, warning or error (env MLFLOW_FCGI_LOG_LEVEL).")
    var logLevel: String = environment("MLFLOW_FCGI_LOG_LEVEL") ?? "info"

    @OptionGroup var store: StoreOptions

    @OptionGroup var artifacts: ArtifactOptions

    func validate() throws {
        if socket != nil, listen != nil { throw ValidationError("give --socket or --listen, not both") }
        if threads < 1 || threads > 256 { throw ValidationError("--threads must be between 1 and 256") }
        if LogLevel(rawValue: logLevel) == nil { throw ValidationError("--log-level must be debug, info, warning or error") }
        if mode_t(socketMode, radix: 8) == nil { throw ValidationError("--socket-mode must be octal, e.g. 660") }
    }

    func run() throws {
        let log = Log(threshold: LogLevel(rawValue: logLevel) ?? .info, name: "mlflow-fcgi")
        StopSignals.block()
        // Open once up front: a bad path or a too-new schema stops the worker with a message
        // before it accepts anything.
        do {
            _ = try SQLiteStore(store.configuration)
        } catch {
            log(.error, "cannot open database \(store.database): \(error)")
            throw ExitCode(2)
        }
        let listening: ListeningSocket
        do {
            if let socket {
                listening = try .unix(path: socket, mode: mode_t(socketMode, radix: 8) ?? 0o660)
            } else if let listen {
                listening = try .tcp(listen)
            } else {
                listening = try .inherited()
            }
        } catch {
            log(.error, "\(error)")
            throw ExitCode(2)
        }
        let artifactSettings: ArtifactSettings
        do {
            artifactSettings = try artifacts.settings(database: store.database)
        } catch {
            log(.error, "\(error)")
            throw ExitCode(2)
        }
        let configuration = store.configuration.withCheckpointsOnATimer
        let prefix = urlPrefix
        let server = try FastCGIServer(
            socket: listening, threads: threads,
            log: { log(.error, $0) },
            makeHandler: {
                let api = TrackingAPI(store: try SQLiteStore(configuration), artifacts: artifactSettings, urlPrefix: prefix)
                return { request in Self.handle(request, api, log) }
            })
        Checkpointer.start(configuration, log: log)
        log(.info, "serving \(socket ?? listen ?? "fd 0") with \(threads) threads, database \(store.database)")
        try server.run {
            let signal = StopSignals.wait()
            log(.info, "signal \(signal ?? 0): finishing requests in progress and stopping")
        }
    }

    private static func handle(_ request: FastCGIRequest, _ api: TrackingAPI, _ log: Log) -> FastCGIResponse {
        let started = SuspendingClock.now
        let response = api.handle(
            APIRequest(
                method: request.method, requestURI: request.requestURI, contentType: request.contentType,
                contentLength: request.contentLength, body: RequestBody(reader: request.readBody)))
        log(.debug, "\(request.method) \(request.requestURI) \(response.status) \(SuspendingClock.now - started)")
        if response.status >= 500 { log(.warning, "\(request.method) \(request.requestURI) answered \(response.status)") }
        return FastCGIResponse(
            status: response.status, headers: response.headers, body: response.body,
            file: response.file.map { ($0.descriptor, $0.size) }, stream: response.stream?.write)
    }
}
