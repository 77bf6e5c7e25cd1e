import CFastCGI
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Serves FastCGI requests on a listening socket with a fixed pool of threads, each looping
/// wait → accept → read request → handle → respond, using libfcgi for the protocol.
///
/// Each thread builds its own handler (so a handler may own a database connection) and owns
/// one heap-allocated `FCGX_Request`. Threads wait in epoll (`EPOLLEXCLUSIVE`, so one thread
/// wakes per connection) and accept without blocking; `stop()` wakes them through a pipe,
/// lets requests in progress finish, and `run()` returns. It does not install signal
/// handlers: the caller decides which signals mean stop.
public final class FastCGIServer: Sendable {
    public typealias Handler = (FastCGIRequest) -> FastCGIResponse

    private let socket: ListeningSocket
    private let threadCount: Int
    private let makeHandler: @Sendable () throws -> Handler
    private let log: @Sendable (String) -> Void
    private let stopPipe: (read: Int32, write: Int32)
    private let runningThreads = Atomic<Int>(0)

    public init(
        socket: ListeningSocket, threads: Int,
        log: @escaping @Sendable (String) -> Void,
        makeHandler: @escaping @Sendable () throws -> Handler
    ) throws {
        self.socket = socket
        self.threadCount = max(1, threads)
        self.makeHandler = makeHandler
        self.log = log
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0, fcntl(fds[0], F_SETFD, FD_CLOEXEC) == 0, fcntl(fds[1], F_SETFD, FD_CLOEXEC) == 0 else { throw SocketError.system("pipe") }
        stopPipe = (fds[0], fds[1])
        FCGX_Init()
    }

    /// Starts the threads, calls `waitForStop` (which returns when it is time to stop), then
    /// stops and waits until the threads have finished their requests, or until
    /// `graceSeconds` have passed (threads pinned to kept-alive connections).
    public func run(graceSeconds: Double = 30, waitForStop: () -> Void) throws {
        var threads: [pthread_t] = []
        for index in 0..<threadCount {
            let box = Unmanaged.passRetained(ThreadContext(server: self, index: index))
            var thread = pthread_t()
            let rc = pthread_create(&thread, nil, { raw in
                let context = Unmanaged<ThreadContext>.fromOpaque(raw!).takeRetainedValue()
                context.server.threadMain(context.index)
                return nil
            }, box.toOpaque())
            guard rc == 0 else {
                box.release()
                throw SocketError("cannot start thread \(index): error \(rc)")
            }
            runningThreads.add(1, ordering: .sequentiallyConsistent)
            threads.append(thread)
        }
        waitForStop()
        stop()
        var waited = 0.0
        while runningThreads.load(ordering: .sequentiallyConsistent) > 0, waited < graceSeconds {
            usleep(10_000)
            waited += 0.01
        }
        if runningThreads.load(ordering: .sequentiallyConsistent) == 0 {
            for thread in threads { pthread_join(thread, nil) }
        } else {
            log("stopping with \(runningThreads.load(ordering: .sequentiallyConsistent)) threads still busy after \(graceSeconds) s")
        }
    }

    /// Asks every thread to finish its current request and end. Safe from any thread.
    public func stop() {
        var byte: UInt8 = 1
        _ = Glibc.write(stopPipe.write, &byte, 1)
    }

    private final class ThreadContext {
        let server: FastCGIServer
        let index: Int
        init(server: FastCGIServer, index: Int) {
            self.server = server
            self.index = index
        }
    }

    private func threadMain(_ index: Int) {
        defer { runningThreads.subtract(1, ordering: .sequentiallyConsistent) }
        let handler: Handler
        do {
            handler = try makeHandler()
        } catch {
            log("thread \(index) could not start: \(error)")
            stop()
            return
        }
        guard let waiter = ConnectionWaiter(listenFD: socket.fd, stopFD: stopPipe.read) else {
            log("thread \(index): epoll setup failed: \(String(cString: strerror(errno)))")
            stop()
            return
        }
        defer { waiter.close() }
        let request = UnsafeMutablePointer<FCGX_Request>.allocate(capacity: 1)
        defer { request.deallocate() }
        FCGX_InitRequest(request, -1, 0)
        while case .connection(let fd) = waiter.next() {
            serve(connection: fd, request, handler, stopFD: stopPipe.read)
        }
    }

    /// Serves every request the web server sends on one connection (one, unless it asked to
    /// keep the connection), then closes it.
    private func serve(connection fd: Int32, _ request: UnsafeMutablePointer<FCGX_Request>, _ handler: Handler, stopFD: Int32) {
        // libfcgi reads from `ipcFd` when it is set instead of accepting itself; a kept
        // connection stops FCGX_Accept_r from closing the descriptor we hand it.
        request.pointee.ipcFd = fd
        request.pointee.keepConnection = 1
        while FCGX_Accept_r(request) >= 0 {
            let response = handler(readRequest(request))
            drainBody(request)
            write(response, to: request)
            FCGX_Finish_r(request)
            if request.pointee.ipcFd < 0 || isReadable(stopFD) { break }
        }
        if request.pointee.ipcFd >= 0 { FCGX_Free(request, 1) }
    }

    private func readRequest(_ request: UnsafeMutablePointer<FCGX_Request>) -> FastCGIRequest {
        func param(_ name: String) -> String? {
            FCGX_GetParam(name, request.pointee.envp).map { String(cString: $0) }
        }
        let method = param("REQUEST_METHOD") ?? "GET"
        var uri = param("REQUEST_URI") ?? ""
        if uri.isEmpty {
            uri = (param("SCRIPT_NAME") ?? "") + (param("PATH_INFO") ?? "")
            if let query = param("QUERY_STRING"), !query.isEmpty { uri += "?" + query }
        }
        let input = request.pointee.in
        return FastCGIRequest(
            method: method, requestURI: uri, contentType: param("CONTENT_TYPE"),
            contentLength: param("CONTENT_LENGTH").flatMap { Int($0) },
            readBody: { buffer in
                guard let base = buffer.baseAddress else { return 0 }
                return Int(FCGX_GetStr(base.assumingMemoryBound(to: CChar.self), Int32(min(buffer.count, Int(Int32.max))), input))
            })
    }

    /// libfcgi requires the whole body to be read before the response is finished.
    private func drainBody(_ request: UnsafeMutablePointer<FCGX_Request>) {
        // Usually nothing is left; an uninitialised stack buffer costs nothing then.
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 4096) { chunk in
            while FCGX_GetStr(chunk.baseAddress, Int32(chunk.count), request.pointee.in) > 0 {}
        }
    }

    private func write(_ response: FastCGIResponse, to request: UnsafeMutablePointer<FCGX_Request>) {
        let isHead = FCGX_GetParam("REQUEST_METHOD", request.pointee.envp).map { strcmp($0, "HEAD") == 0 } ?? false
        Self.headerBlock(response).withUnsafeBytes { put($0, request) }
        if let file = response.file {
            defer { close(file.descriptor) }
            if !isHead { streamFile(file.descriptor, request) }
        } else if let stream = response.stream {
            if !isHead { stream { put($0, request) } }
        } else if !isHead {
            response.body.withUnsafeBytes { put($0, request) }
        }
    }

    /// The CGI response header block: status line, headers, Content-Length, blank line.
    static func headerBlock(_ response: FastCGIResponse) -> [UInt8] {
        var head: [UInt8] = []
        head.reserveCapacity(256)
        func line(_ name: String, _ value: String) {
            head.append(contentsOf: name.utf8)
            head.append(contentsOf: ": ".utf8)
            head.append(contentsOf: value.utf8)
            head.append(contentsOf: "\r\n".utf8)
        }
        line("Status", "\(response.status) \(HTTPStatus.reason(response.status))")
        for (name, value) in response.headers { line(name, value) }
        if response.stream == nil { line("Content-Length", String(response.file?.size ?? response.body.count)) }
        head.append(contentsOf: "\r\n".utf8)
        return head
    }

    private func put(_ bytes: UnsafeRawBufferPointer, _ request: UnsafeMutablePointer<FCGX_Request>) {
        _ = FCGX_PutStr(bytes.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(bytes.count), request.pointee.out)
    }

    private func streamFile(_ descriptor: Int32, _ request: UnsafeMutablePointer<FCGX_Request>) {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 256 * 1024) { chunk in
            while true {
                let count = read(descriptor, chunk.baseAddress, chunk.count)
                if count <= 0 { break }
                if FCGX_PutStr(chunk.baseAddress, Int32(count), request.pointee.out) < 0 { break }
            }
        }
    }

    private func isReadable(_ fd: Int32) -> Bool {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&poller, 1, 0) > 0
    }
}
