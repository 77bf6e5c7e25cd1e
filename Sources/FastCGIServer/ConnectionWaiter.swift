import CFastCGI

#if canImport(Glibc)
import Glibc
#endif

/// One thread's wait for the next connection: epoll over the shared listening socket
/// (`EPOLLEXCLUSIVE`, so a connection wakes one waiter rather than all) and the stop pipe.
struct ConnectionWaiter {
    enum Event {
        case connection(Int32)
        case stop
    }

    private let epollFD: Int32
    private let listenFD: Int32
    private let stopFD: Int32

    init?(listenFD: Int32, stopFD: Int32) {
        let epollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epollFD >= 0 else { return nil }
        var listenEvent = epoll_event()
        listenEvent.events = EPOLLIN.rawValue | EPOLLEXCLUSIVE.rawValue
        listenEvent.data.fd = listenFD
        var stopEvent = epoll_event()
        stopEvent.events = EPOLLIN.rawValue
        stopEvent.data.fd = stopFD
        guard epoll_ctl(epollFD, EPOLL_CTL_ADD, listenFD, &listenEvent) == 0,
            epoll_ctl(epollFD, EPOLL_CTL_ADD, stopFD, &stopEvent) == 0
        else {
            Glibc.close(epollFD)
            return nil
        }
        self.epollFD = epollFD
        self.listenFD = listenFD
        self.stopFD = stopFD
    }

    func close() { Glibc.close(epollFD) }

    /// Blocks until a connection is accepted (a blocking descriptor) or stop is requested.
    func next() -> Event {
        var events = [epoll_event](repeating: epoll_event(), count: 2)
        while true {
            let ready = epoll_wait(epollFD, &events, 2, -1)
            if ready < 0 {
                if errno == EINTR { continue }
                return .stop
            }
            if events.prefix(Int(ready)).contains(where: { $0.data.fd == stopFD }) { return .stop }
            let fd = mlflow_fcgi_accept_cloexec(listenFD)
            if fd >= 0 { return .connection(fd) }
            switch errno {
            case EAGAIN, EINTR, ECONNABORTED, EPROTO:
                continue  // another thread or process took it, or the client gave up
            default:
                // Out of descriptors or memory: back off instead of spinning.
                usleep(10_000)
            }
        }
    }
}
