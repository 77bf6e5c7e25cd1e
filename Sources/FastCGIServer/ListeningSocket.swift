#if canImport(Glibc)
import Glibc
#endif

/// Why a listening socket could not be set up; the message is meant for the operator.
public struct SocketError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
    static func system(_ what: String) -> SocketError { SocketError("\(what): \(String(cString: strerror(errno)))") }
}

/// The socket a worker accepts FastCGI connections on: a unix socket it creates, a TCP port
/// on a given address, or one it inherited on fd 0 (spawn-fcgi, mod_fcgid, systemd).
///
/// Creating a unix socket never takes over a live one: a lock file beside it is held for the
/// process's lifetime, and a socket that still answers is refused. Unlike libfcgi's
/// `FCGX_OpenSocket`, failures are errors, not `exit()`.
public struct ListeningSocket: Sendable {
    public let fd: Int32
    /// The lock file descriptor held while this process serves a unix socket it created.
    private let lockFD: Int32?

    /// Creates, binds and listens on a unix socket at `path` with permissions `mode`.
    public static func unix(path: String, mode: mode_t = 0o660, backlog: Int32 = 1024) throws -> ListeningSocket {
        let lockFD = open(path + ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard lockFD >= 0 else {
            let folder = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
            if errno == ENOENT { throw SocketError("the socket's folder '\(folder.isEmpty ? "." : folder)' does not exist") }
            throw SocketError.system("cannot open lock file \(path).lock")
        }
        guard flock(lockFD, LOCK_EX | LOCK_NB) == 0 else {
            close(lockFD)
            throw SocketError("another mlflow-fcgi process holds \(path).lock: it is serving \(path)")
        }
        do {
            if access(path, F_OK) == 0 {
                if try isAnswering(path) { throw SocketError("a server is already listening on \(path)") }
                guard unlink(path) == 0 else { throw SocketError.system("cannot remove stale socket \(path)") }
            }
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { throw SocketError.system("socket") }
            var address = try unixAddress(path)
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            guard bound == 0 else {
                let error = SocketError.system("cannot bind \(path)")
                close(fd)
                throw error
            }
            chmod(path, mode)
            return try ListeningSocket(listening: fd, backlog: backlog, lockFD: lockFD)
        } catch {
            close(lockFD)
            throw error
        }
    }

    /// Binds `host:port` (write `127.0.0.1:5000`; an empty host is refused rather than
    /// silently meaning every interface).
    public static func tcp(_ hostAndPort: String, backlog: Int32 = 1024) throws -> ListeningSocket {
        guard let colon = hostAndPort.lastIndex(of: ":"), let port = UInt16(hostAndPort[hostAndPort.index(after: colon)...]) else {
            throw SocketError("--listen wants HOST:PORT, e.g. 127.0.0.1:9000 (got '\(hostAndPort)')")
        }
        let host = String(hostAndPort[..<colon])
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard !host.isEmpty, inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            throw SocketError("--listen wants an IPv4 address before the port (got '\(host)')")
        }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SocketError.system("socket") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else {
            let error = SocketError.system("cannot bind \(hostAndPort)")
            close(fd)
            throw error
        }
        return try ListeningSocket(listening: fd, backlog: backlog, lockFD: nil)
    }

    /// The listening socket a supervisor passed on fd 0.
    public static func inherited() throws -> ListeningSocket {
        var type: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        var listening: Int32 = 0
        var listeningLength = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(0, SOL_SOCKET, SO_TYPE, &type, &length) == 0, type == Int32(SOCK_STREAM.rawValue),
            getsockopt(0, SOL_SOCKET, SO_ACCEPTCONN, &listening, &listeningLength) == 0, listening != 0
        else {
            throw SocketError(
                "fd 0 is not a listening socket. Pass --socket PATH or --listen HOST:PORT, or start the worker under spawn-fcgi, mod_fcgid or systemd socket activation.")
        }
        try setNonBlocking(0)
        return ListeningSocket(fd: 0, lockFD: nil)
    }

    private init(fd: Int32, lockFD: Int32?) {
        self.fd = fd
        self.lockFD = lockFD
    }

    private init(listening fd: Int32, backlog: Int32, lockFD: Int32?) throws {
        guard listen(fd, backlog) == 0 else {
            let error = SocketError.system("listen")
            close(fd)
            throw error
        }
        try Self.setNonBlocking(fd)
        self.init(fd: fd, lockFD: lockFD)
    }

    /// Accepting threads wait in epoll and accept without blocking, so a thread that loses
    /// the race for a connection goes back to waiting instead of hanging in `accept`.
    private static func setNonBlocking(_ fd: Int32) throws {
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0, fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0 else { throw SocketError.system("fcntl O_NONBLOCK") }
    }

    private static func unixAddress(_ path: String) throws -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw SocketError("socket path too long: \(path)") }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: bytes)
            buffer[bytes.count] = 0
        }
        return address
    }

    /// True when something accepts connections at `path`.
    private static func isAnswering(_ path: String) throws -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SocketError.system("socket") }
        defer { close(fd) }
        var address = try unixAddress(path)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        return connected == 0
    }
}
