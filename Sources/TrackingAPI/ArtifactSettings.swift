import TrackingStore

/// Where artifacts live and who sends their bytes on download.
public struct ArtifactSettings: Sendable {
    /// Who streams a downloaded file to the client.
    public enum Downloads: Sendable, Equatable {
        /// The worker reads the file and sends it through FastCGI itself.
        case stream
        /// nginx: answer `X-Accel-Redirect: <prefix><path>` and let an `internal` location
        /// aliased to the artifacts root send the file.
        case accelRedirect(prefix: String)
        /// Apache mod_xsendfile (or lighttpd): answer `X-Sendfile: <absolute file path>`.
        case sendfile
    }

    public var repository: LocalArtifactRepository
    public var downloads: Downloads

    public init(repository: LocalArtifactRepository, downloads: Downloads = .stream) {
        self.repository = repository
        self.downloads = downloads
    }
}
