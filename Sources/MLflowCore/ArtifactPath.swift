/// A checked relative path inside the artifact store, as segments.
///
/// Built from a URL path (each segment percent-decoded on its own, so `%2f` cannot forge a
/// separator) or from an already-decoded `path` parameter. Refused with 400
/// `INVALID_PARAMETER_VALUE`: `.` and `..` segments, empty segments (`a//b`, a leading `/`),
/// backslashes, `#`, NUL and other control characters, segments over 255 bytes. It says nothing about symlinks: the
/// repository checks where the path resolves on disk.
public struct ArtifactPath: Equatable, Sendable, CustomStringConvertible {
    public let segments: [String]

    public var description: String { segments.joined(separator: "/") }
    public var isRoot: Bool { segments.isEmpty }
    public var name: String { segments.last ?? "" }

    public init(segments: [String]) throws {
        for segment in segments { try Self.check(segment, in: segments) }
        self.segments = segments
    }

    /// From the part of a raw (percent-encoded) URL path after the route prefix.
    public static func fromURLPath(_ raw: Substring) throws -> ArtifactPath {
        var text = raw
        if text.hasSuffix("/") { text = text.dropLast() }
        if text.isEmpty { return try ArtifactPath(segments: []) }
        return try ArtifactPath(segments: text.split(separator: "/", omittingEmptySubsequences: false).map { URLDecoding.percentDecoded($0, plusIsSpace: false) })
    }

    /// From a decoded relative path (`path=` parameters); empty means the root.
    public static func fromParameter(_ path: String?) throws -> ArtifactPath {
        guard var text = path, !text.isEmpty else { return try ArtifactPath(segments: []) }
        if text.hasSuffix("/") { text.removeLast() }
        return try ArtifactPath(segments: text.split(separator: "/", omittingEmptySubsequences: false).map(String.init))
    }

    public func appending(_ other: ArtifactPath) -> ArtifactPath {
        // Both were checked; joining checked segments cannot produce an unsafe path.
        try! ArtifactPath(segments: segments + other.segments)
    }

    public func hasPrefix(_ other: ArtifactPath) -> Bool {
        segments.starts(with: other.segments)
    }

    private static func check(_ segment: String, in segments: [String]) throws {
        // A name over 255 bytes (NAME_MAX) no file system stores: refused before anything is created.
        let invalid = segment.isEmpty || segment == "." || segment == ".." || segment.utf8.count > 255
            || segment.unicodeScalars.contains { $0 == "/" || $0 == "\\" || $0 == "#" || $0.value < 0x20 || $0.value == 0x7F }
        if invalid {
            throw MLflowError(.invalidParameterValue, "Invalid path: '\(segments.joined(separator: "/"))'")
        }
    }
}

/// One entry of an artifact listing.
public struct FileInfo: Equatable, Sendable {
    public var path: String
    public var isDirectory: Bool
    /// Nil for directories.
    public var size: Int64?

    public init(path: String, isDirectory: Bool, size: Int64?) {
        self.path = path
        self.isDirectory = isDirectory
        self.size = size
    }
}
