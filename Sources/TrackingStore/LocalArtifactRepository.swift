import FoundationEssentials
import MLflowCore

#if canImport(Glibc)
import Glibc
#endif

/// Artifacts as files under one root folder: `mlflow-artifacts:/<path>` is `<root>/<path>`.
///
/// Uploads are written to a hidden temporary file beside their target, synced, and renamed
/// into place only when complete, so a reader never sees half a file and an aborted upload
/// leaves nothing visible. Every operation checks that the path, with symlinks resolved, stays
/// inside the root. It keeps no state besides the root; any thread may use it.
public struct LocalArtifactRepository: Sendable {
    public let root: String

    /// Uses (creating if needed) the folder `root`.
    public init(root: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        } catch {
            throw MLflowError(.internalError, "cannot create the artifacts root \(root): \(error)")
        }
        guard let resolved = Self.realPath(root) else { throw MLflowError(.internalError, "cannot resolve the artifacts root \(root)") }
        self.root = resolved
    }

    /// The file system path of `path` (not checked for symlinks).
    public func location(of path: ArtifactPath) -> String {
        path.isRoot ? root : root + "/" + path.description
    }

    // MARK: - Upload

    /// Streams `write`'s chunks into `path`. `write` is handed a function that appends a chunk
    /// and returns when it is written; the file appears under its name only if `write`
    /// returns normally and `expectedSize` (when known) was reached.
    public func upload(_ path: ArtifactPath, expectedSize: Int?, _ write: ((UnsafeRawBufferPointer) throws -> Void) throws -> Int) throws {
        guard !path.isRoot else { throw MLflowError(.invalidParameterValue, "Invalid path: an upload needs a file name") }
        let directory = try makeDirectories(ArtifactPath(segments: Array(path.segments.dropLast())))
        let target = directory + "/" + path.name
        var status = stat()
        if lstat(target, &status) == 0, status.st_mode & S_IFMT == S_IFDIR {
            throw MLflowError(.invalidParameterValue, "Invalid path: '\(path)' is a directory")
        }
        // The temporary name must fit NAME_MAX (255 bytes) whenever the target name does.
        var stem = Substring(path.name)
        while stem.utf8.count > 100 { stem = stem.dropLast() }
        let temporary = directory + "/.upload-\(UInt64.random(in: 0...UInt64.max))-" + stem
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard fd >= 0 else { throw Self.fileError(path, "cannot create \(temporary)") }
        var keep = false
        defer {
            close(fd)
            if !keep { unlink(temporary) }
        }
        let written = try write { chunk in
            var offset = 0
            while offset < chunk.count {
                let count = Glibc.write(fd, chunk.baseAddress! + offset, chunk.count - offset)
                if count < 0 {
                    if errno == EINTR { continue }
                    throw MLflowError(.internalError, "cannot write artifact '\(path)': \(String(cString: strerror(errno)))")
                }
                offset += count
            }
        }
        if let expectedSize, written != expectedSize {
            throw MLflowError(.invalidParameterValue, "The upload of '\(path)' ended after \(written) of \(expectedSize) bytes.")
        }
        guard fsync(fd) == 0, rename(temporary, target) == 0 else {
            throw Self.fileError(path, "cannot store artifact '\(path)'")
        }
        keep = true
    }

    // MARK: - Download, list, delete

    /// Opens a file for reading. Missing is a 404, a directory a 400.
    public func openFile(_ path: ArtifactPath) throws -> (descriptor: Int32, size: Int, location: String) {
        let location = try resolvedExisting(path)
        guard let location, !path.isRoot else { throw MLflowError(.resourceDoesNotExist, "No such artifact: '\(path)'") }
        let fd = open(location, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw MLflowError(.resourceDoesNotExist, "No such artifact: '\(path)'") }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            close(fd)
            throw MLflowError(.resourceDoesNotExist, "No such artifact: '\(path)'")
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw MLflowError(.invalidParameterValue, "'\(path)' is a directory, not a file.")
        }
        return (fd, Int(info.st_size), location)
    }

    /// The entries of a directory, sorted by name; nil when it does not exist or is a file.
    /// Temporary upload files are not listed.
    public func list(_ path: ArtifactPath) throws -> [FileInfo]? {
        guard let location = try resolvedExisting(path),
            let names = try? FileManager.default.contentsOfDirectory(atPath: location)
        else { return nil }
        return names.filter { !$0.hasPrefix(".upload-") }.sorted().compactMap { name in
            var info = stat()
            guard stat(location + "/" + name, &info) == 0 else { return nil }
            let isDirectory = (info.st_mode & S_IFMT) == S_IFDIR
            return FileInfo(path: name, isDirectory: isDirectory, size: isDirectory ? nil : Int64(info.st_size))
        }
    }

    /// Every file below `path`, with paths relative to it, depth first.
    public func listRecursively(_ path: ArtifactPath) throws -> [FileInfo] {
        guard let entries = try list(path) else { return [] }
        var files: [FileInfo] = []
        for entry in entries {
            files.append(entry)
            if entry.isDirectory {
                let child = try ArtifactPath(segments: path.segments + [entry.path])
                files += try listRecursively(child).map { FileInfo(path: entry.path + "/" + $0.path, isDirectory: $0.isDirectory, size: $0.size) }
            }
        }
        return files
    }

    /// Deletes a file or a whole directory tree; a missing path is fine. A symlink is removed
    /// itself, never what it points to.
    public func delete(_ path: ArtifactPath) throws {
        guard !path.isRoot, let folder = try resolvedExisting(ArtifactPath(segments: Array(path.segments.dropLast()))) else { return }
        let location = folder + "/" + path.name
        var info = stat()
        guard lstat(location, &info) == 0 else { return }
        do {
            try FileManager.default.removeItem(atPath: location)
        } catch {
            throw MLflowError(.internalError, "cannot delete artifact '\(path)': \(error)")
        }
    }

    // MARK: - Containment

    /// The resolved location of an existing path, nil when it does not exist; a path that
    /// resolves outside the root (through a symlink) is a 400.
    private func resolvedExisting(_ path: ArtifactPath) throws -> String? {
        guard let resolved = Self.realPath(location(of: path)) else { return nil }
        try requireInsideRoot(resolved, path)
        return resolved
    }

    private func requireInsideRoot(_ resolved: String, _ path: ArtifactPath) throws {
        if resolved != root, !resolved.hasPrefix(root + "/") {
            throw MLflowError(.invalidParameterValue, "Invalid path: '\(path)' leaves the artifact store")
        }
    }

    /// Creates the directories of `path` one by one, refusing any that resolves outside the root.
    private func makeDirectories(_ path: ArtifactPath) throws -> String {
        var current = root
        for segment in path.segments {
            let next = current + "/" + segment
            if mkdir(next, 0o755) != 0, errno != EEXIST {
                throw Self.fileError(path, "cannot create folder for '\(path)'")
            }
            // `current` is resolved, so only a symlink here needs resolving: calling realpath for
            // every segment cost O(depth²) readlinks per segment, seconds for a path 2000 deep.
            var info = stat()
            guard lstat(next, &info) == 0 else { throw Self.fileError(path, "cannot inspect folder for '\(path)'") }
            var resolved = next
            if (info.st_mode & S_IFMT) == S_IFLNK {
                guard let target = Self.realPath(next) else { throw MLflowError(.internalError, "cannot resolve \(next)") }
                try requireInsideRoot(target, path)
                guard stat(target, &info) == 0 else { throw MLflowError(.internalError, "cannot resolve \(next)") }
                resolved = target
            }
            guard (info.st_mode & S_IFMT) == S_IFDIR else {
                throw MLflowError(.invalidParameterValue, "Invalid path: '\(path)' runs through a file")
            }
            current = resolved
        }
        return current
    }

    /// The error for a failed file system call (errno): a name or path too long for the file
    /// system is the client's mistake (400), anything else the server's (500).
    static func fileError(_ path: ArtifactPath, _ what: String) -> MLflowError {
        let code = errno
        if code == ENAMETOOLONG {
            return MLflowError(.invalidParameterValue, "Invalid path: '\(path)' is too long for the file system")
        }
        return MLflowError(.internalError, "\(what): \(String(cString: strerror(code)))")
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
