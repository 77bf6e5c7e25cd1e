import FoundationEssentials

#if canImport(Glibc)
import Glibc
#endif

/// Keeps nginx and a pool of workers running for `up`: restarts a worker that dies (unless
/// they die faster than 10 per worker in 10 s), and stops everything on a stop signal or when
/// nginx exits.
///
/// It does not start nginx's or the workers' configuration; it only runs the command lines
/// it is given, handing every worker the listening socket as fd 0.
struct Supervisor {
    let workerArguments: [String]
    let socketFD: Int32
    let log: Log
    private(set) var workers: [ChildProcess] = []
    private(set) var nginx: ChildProcess
    private var restarts: [Double] = []

    init(workerArguments: [String], workerCount: Int, socketFD: Int32, nginxArguments: [String], log: Log) throws {
        self.workerArguments = workerArguments
        self.socketFD = socketFD
        self.log = log
        workers = try (0..<workerCount).map { index in
            try ChildProcess.spawn(workerArguments, name: "worker \(index + 1)", stdinFD: socketFD)
        }
        nginx = try ChildProcess.spawn(nginxArguments, name: "nginx")
    }

    var nginxIsRunning: Bool { kill(nginx.pid, 0) == 0 && waitpid(nginx.pid, nil, WNOHANG) == 0 }

    /// Supervises until a stop signal (nil) or a reason to give up (the reason).
    mutating func run() throws -> String? {
        while true {
            if let signal = StopSignals.wait(timeoutSeconds: 0.2) {
                log(.info, "signal \(signal): stopping")
                return nil
            }
            while case let pid = waitpid(-1, nil, WNOHANG), pid > 0 {
                if pid == nginx.pid { return "nginx exited" }
                guard let index = workers.firstIndex(where: { $0.pid == pid }) else { continue }
                let now = Date().timeIntervalSince1970
                restarts = restarts.filter { now - $0 < 10 } + [now]
                if restarts.count > 10 * workers.count {
                    return "workers keep dying (more than \(10 * workers.count) restarts in 10 s)"
                }
                log(.warning, "\(workers[index].name) (pid \(pid)) exited; restarting it")
                workers[index] = try ChildProcess.spawn(workerArguments, name: workers[index].name, stdinFD: socketFD)
            }
        }
    }

    /// nginx stops gracefully on QUIT, workers on TERM; whatever is left after 10 s is killed.
    func stop() {
        nginx.signal(SIGQUIT)
        for worker in workers { worker.signal(SIGTERM) }
        var remaining = Set(workers.map(\.pid) + [nginx.pid])
        let deadline = Date().addingTimeInterval(10)
        while !remaining.isEmpty, Date() < deadline {
            for pid in remaining where waitpid(pid, nil, WNOHANG) != 0 { remaining.remove(pid) }
            usleep(20_000)
        }
        for pid in remaining {
            kill(pid, SIGKILL)
            waitpid(pid, nil, 0)
        }
    }
}
