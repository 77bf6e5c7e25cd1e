import ArgumentParser
import FastCGIServer
import FoundationEssentials
import Glibc
import TrackingStore

/// `mlflow-fcgi up`: a complete local stack in the foreground — nginx on 127.0.0.1 in front
/// of a supervised pool of workers sharing one socket and one SQLite database.
///
/// Workers that die are restarted; Ctrl-C or TERM stops everything. It is meant for a
/// laptop or a single host; production set-ups run nginx and the workers as services
/// (`deploy/`).
struct Up: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run nginx and a pool of workers on 127.0.0.1 (stop with Ctrl-C).")

    @Option(help: "Port nginx listens on, on 127.0.0.1 (env MLFLOW_FCGI_PORT).")
    var port: Int = environment("MLFLOW_FCGI_PORT").flatMap { Int($0) } ?? 5000

    @Option(help: "Address nginx listens on (env MLFLOW_FCGI_HOST).")
    var host: String = environment("MLFLOW_FCGI_HOST") ?? "127.0.0.1"

    @Option(help: "Data folder: database, socket, logs (env MLFLOW_FCGI_DATA).")
    var data: String = environment("MLFLOW_FCGI_DATA") ?? "mlflow-data"

    /// One process with several threads is the default: its concurrent writes share one
    /// transaction and fsync (group commit), while writers in different processes meet at
    /// SQLite's file lock and must poll for it (measured with log-metric at 8 clients: 1 × 8 threads p99 ≈ 9 ms, 2 × 4 threads
    /// p99 ≈ 35 ms). More processes isolate crashes; `up` restarts a dead worker either way.
    @Option(help: "Worker processes (env MLFLOW_FCGI_WORKERS).")
    var workers: Int = environment("MLFLOW_FCGI_WORKERS").flatMap { Int($0) } ?? 1

    @Option(help: "Threads per worker (env MLFLOW_FCGI_THREADS).")
    var threads: Int = environment("MLFLOW_FCGI_THREADS").flatMap { Int($0) } ?? 8

    @Option(help: "URL prefix to mount the API under, e.g. /mlflow (env MLFLOW_FCGI_URL_PREFIX).")
    var urlPrefix: String = environment("MLFLOW_FCGI_URL_PREFIX") ?? ""

    @Option(name: .customLong("nginx-template"), help: "nginx configuration template (default: deploy/nginx/nginx.conf.template).")
    var nginxTemplateOption: String?
    /// The option, or its environment variable.
    var nginxTemplate: String? { nginxTemplateOption ?? environment("MLFLOW_FCGI_NGINX_TEMPLATE") }

    @Option(help: "nginx executable.")
    var nginx: String = environment("MLFLOW_FCGI_NGINX") ?? "nginx"

    @Option(help: "full or normal (see `serve --help`) (env MLFLOW_FCGI_DURABILITY).")
    var durability: Durability = environment("MLFLOW_FCGI_DURABILITY").flatMap(Durability.init(rawValue:)) ?? .full

    @Option(help: "Worker log level (env MLFLOW_FCGI_LOG_LEVEL).")
    var logLevel: String = environment("MLFLOW_FCGI_LOG_LEVEL") ?? "info"

    func validate() throws {
        if !(1...65535).contains(port) { throw ValidationError("--port must be 1-65535") }
        if !(1...64).contains(workers) { throw ValidationError("--workers must be 1-64") }
    }

    func run() throws {
        let log = Log(threshold: .info, name: "mlflow-fcgi up")
        StopSignals.block()
        let dataURL = URL(fileURLWithPath: data).standardizedFileURL
        let dataPath = dataURL.path
        for folder in ["", "/run", "/nginx", "/artifacts"] {
            try FileManager.default.createDirectory(atPath: dataPath + folder, withIntermediateDirectories: true)
        }
        let database = dataPath + "/mlflow.db"
        let artifactsRoot = dataPath + "/artifacts"
        let socketPath = dataPath + "/run/mlflow-fcgi.sock"
        let prefix = Self.normalizedPrefix(urlPrefix)

        do {
            _ = try SQLiteStore(SQLiteStoreConfiguration(path: database, durability: durability))
        } catch {
            throw CommandError("cannot open database \(database): \(error)")
        }
        guard let templatePath = nginxTemplate ?? NginxConfig.defaultTemplatePath() else {
            throw CommandError("cannot find deploy/nginx/\(NginxConfig.templateName); pass --nginx-template")
        }
        let config = try NginxConfig.render(
            template: try String(contentsOfFile: templatePath, encoding: .utf8),
            listen: "\(host):\(port)", socket: socketPath, location: prefix + "/", data: dataPath, artifacts: artifactsRoot)
        let configPath = dataPath + "/nginx/nginx.conf"
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)

        let socket = try ListeningSocket.unix(path: socketPath, mode: 0o660)
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        let workerArguments = [
            executable, "serve", "--database", database, "--threads", String(threads),
            "--url-prefix", prefix, "--durability", durability.rawValue, "--log-level", logLevel,
            "--artifacts-root", artifactsRoot, "--x-accel-redirect", NginxConfig.artifactsLocation,
        ]
        var nginxArguments = [nginx, "-c", configPath, "-p", dataPath + "/nginx/", "-e", dataPath + "/nginx/error.log"]
        // As root, nginx would run its workers as `nobody`, who may not reach the data folder.
        if geteuid() == 0 { nginxArguments += ["-g", "user root;"] }
        var supervisor = try Supervisor(
            workerArguments: workerArguments, workerCount: workers, socketFD: socket.fd, nginxArguments: nginxArguments, log: log)

        var failure: String?
        if Self.waitForPort(host: host, port: port, seconds: 15, alive: { supervisor.nginxIsRunning }) {
            // Unbuffered, so a parent reading our stdout sees it at once.
            let banner = """
                mlflow-fcgi is serving on http://\(host):\(port)\(prefix)
                export MLFLOW_TRACKING_URI=http://\(host):\(port)\(prefix)
                data: \(dataPath)  (Ctrl-C to stop)

                """
            var bytes = Array(banner.utf8)
            _ = write(STDOUT_FILENO, &bytes, bytes.count)
            failure = try supervisor.run()
        } else {
            failure = "nginx did not start listening on \(host):\(port)"
        }
        supervisor.stop()
        if let failure {
            log(.error, "\(failure); see \(dataPath)/nginx/error.log")
            throw ExitCode(1)
        }
    }

    /// `/mlflow/` → `/mlflow`; `/` or empty → empty.
    static func normalizedPrefix(_ prefix: String) -> String {
        var trimmed = prefix
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        if !trimmed.isEmpty, !trimmed.hasPrefix("/") { trimmed = "/" + trimmed }
        return trimmed
    }

    private static func waitForPort(host: String, port: Int, seconds: Double, alive: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if !alive() { return false }
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = UInt16(port).bigEndian
            inet_pton(AF_INET, host, &address.sin_addr)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            close(fd)
            if connected == 0 { return true }
            usleep(50_000)
        }
        return false
    }
}
