#if canImport(Glibc)
import Glibc
#endif

/// The signals that stop a worker or the `up` supervisor gracefully: TERM, INT, USR1 (which
/// multiwatch sends), QUIT (nginx's and multiwatch's graceful stop) and HUP.
enum StopSignals {
    static let all: [Int32] = [SIGTERM, SIGINT, SIGUSR1, SIGQUIT, SIGHUP]

    /// Blocks the stop signals in the calling thread (and every thread it starts later) so
    /// that only `wait` receives them; ignores SIGPIPE so a closed connection is an error
    /// return, not a crash. Call before starting any thread.
    static func block() {
        signal(SIGPIPE, SIG_IGN)
        var set = signalSet(all)
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Waits for a stop signal; with a timeout, nil when it passes first.
    static func wait(timeoutSeconds: Double? = nil) -> Int32? {
        var set = signalSet(all)
        guard let timeoutSeconds else {
            var signal: Int32 = 0
            sigwait(&set, &signal)
            return signal
        }
        var timeout = timespec(tv_sec: Int(timeoutSeconds), tv_nsec: Int((timeoutSeconds - Double(Int(timeoutSeconds))) * 1e9))
        let signal = sigtimedwait(&set, nil, &timeout)
        return signal > 0 ? signal : nil
    }

    /// Unblocks the stop signals (for a child about to exec).
    static func signalSet(_ signals: [Int32]) -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in signals { sigaddset(&set, signal) }
        return set
    }
}
