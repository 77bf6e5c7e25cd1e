#if canImport(Glibc)
import Glibc
#endif

/// Log levels, most verbose first.
enum LogLevel: String, CaseIterable, Comparable {
    case debug, info, warning, error

    static func < (a: LogLevel, b: LogLevel) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// One line per event on stderr, prefixed with the process id and level. Request bodies are
/// never logged.
struct Log: Sendable {
    let threshold: LogLevel
    let name: String

    func callAsFunction(_ level: LogLevel, _ message: @autoclosure () -> String) {
        guard level >= threshold else { return }
        // One write(2) per line, so lines from several threads and processes do not interleave.
        let line = Array("\(name)[\(getpid())] \(level.rawValue): \(message())\n".utf8)
        _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    }
}
