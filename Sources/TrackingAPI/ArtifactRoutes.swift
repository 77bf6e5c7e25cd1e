import MLflowCore
import TrackingStore

#if canImport(Glibc)
import Glibc
#endif

extension TrackingAPI {
    static let artifactRoots = ["/api/2.0/mlflow-artifacts/", "/ajax-api/2.0/mlflow-artifacts/"]

    /// MLflow's proxied artifact service (contract §11.2) and the tracking service's
    /// `artifacts/list` (§11.3).
    func registerArtifactRoutes(_ router: inout Router, _ settings: ArtifactSettings) {
        let repository = settings.repository
        let store = self.store
        for root in Self.artifactRoots {
            router.add("GET", root + "artifacts", .raw { request in
                let fields = RequestFields.query(URLDecoding.queryPairs(request.query))
                let path = try ArtifactPath.fromParameter(try fields.string("path"))
                return .json(Self.listing(try repository.list(path) ?? []))
            })
            router.prefix("PUT", root + "artifacts/") { request, rest in
                let path = try ArtifactPath.fromURLPath(rest)
                try repository.upload(path, expectedSize: request.contentLength) { write in try request.body.stream(write) }
                return .json(Self.empty)
            }
            router.prefix("GET", root + "artifacts/") { _, rest in
                try Self.download(try ArtifactPath.fromURLPath(rest), repository, settings.downloads)
            }
            router.prefix("DELETE", root + "artifacts/") { _, rest in
                try repository.delete(try ArtifactPath.fromURLPath(rest))
                return .json(Self.empty)
            }
            // Multipart and presigned transfers exist for cloud storage only; on local storage
            // MLflow answers 501 too, and the client falls back to plain PUT/GET.
            for (method, prefix) in [("POST", "mpu/"), ("GET", "presigned/")] {
                router.prefix(method, root + prefix) { _, _ in
                    throw MLflowError(.notImplemented, "Multipart and presigned artifact transfers are not supported by this server.")
                }
            }
        }
        router.rpc("GET", "artifacts/list") { fields in
            let run = try store.run(id: try fields.runID())
            let relative = try ArtifactPath.fromParameter(try fields.string("path"))
            var files: [FileInfo] = []
            if let base = Self.repositoryPath(of: run.info.artifactURI) {
                let prefix = relative.isRoot ? "" : relative.description + "/"
                files = (try repository.list(base.appending(relative)) ?? []).map {
                    FileInfo(path: prefix + $0.path, isDirectory: $0.isDirectory, size: $0.size)
                }
            }
            return JSONWriter.response { w in
                w.field("root_uri", run.info.artifactURI)
                w.list("files", files) { $0.write($1) }
            }
        }
    }

    /// The repository path of an `mlflow-artifacts:/...` URI; nil for other schemes.
    static func repositoryPath(of uri: String) -> ArtifactPath? {
        let scheme = "mlflow-artifacts:"
        guard uri.hasPrefix(scheme) else { return nil }
        var rest = uri.dropFirst(scheme.count)
        while rest.hasPrefix("/") { rest = rest.dropFirst() }
        return try? ArtifactPath.fromParameter(String(rest))
    }

    private static func listing(_ files: [FileInfo]) -> [UInt8] {
        JSONWriter.response { w in w.list("files", files) { $0.write($1) } }
    }

    private static func download(_ path: ArtifactPath, _ repository: LocalArtifactRepository, _ downloads: ArtifactSettings.Downloads) throws -> APIResponse {
        let file = try repository.openFile(path)
        var headers: [(name: String, value: String)] = [
            ("Content-Type", MediaType.forFileName(path.name)),
            ("Content-Disposition", "attachment; filename=\"\(path.name.replacingQuotes())\""),
            ("X-Content-Type-Options", "nosniff"),
        ]
        switch downloads {
        case .stream:
            return APIResponse(status: 200, headers: headers, body: [], file: OpenFile(descriptor: file.descriptor, size: file.size))
        case .accelRedirect(let prefix):
            close(file.descriptor)
            headers.append(("X-Accel-Redirect", prefix + path.segments.map(URLEncoding.percentEncodedSegment).joined(separator: "/")))
        case .sendfile:
            close(file.descriptor)
            headers.append(("X-Sendfile", file.location))
        }
        return APIResponse(status: 200, headers: headers, body: [])
    }
}

extension JSONWriter {
    mutating func write(_ file: FileInfo) {
        object { w in
            w.field("path", file.path)
            w.field("is_dir", file.isDirectory)
            if let size = file.size { w.field("file_size", size) }
        }
    }
}

extension String {
    fileprivate func replacingQuotes() -> String {
        String(map { $0 == "\"" ? "'" : $0 })
    }
}

/// Percent-encoding for URL path segments written into headers.
enum URLEncoding {
    static func percentEncodedSegment(_ segment: String) -> String {
        var encoded = ""
        for byte in segment.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                encoded += "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }
        return encoded
    }
}

/// Content types of downloads, by file extension, as MLflow guesses them.
enum MediaType {
    static func forFileName(_ name: String) -> String {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return "application/octet-stream" }
        switch name[name.index(after: dot)...].lowercased() {
        case "txt", "log", "py", "md", "text": return "text/plain"
        case "json": return "application/json"
        case "yaml", "yml": return "application/yaml"
        case "csv": return "text/csv"
        case "html", "htm": return "text/html"
        case "png": return "image/png"
        case "jpg", "jpeg": return "image/jpeg"
        case "gif": return "image/gif"
        case "svg": return "image/svg+xml"
        case "pdf": return "application/pdf"
        default: return "application/octet-stream"
        }
    }
}
