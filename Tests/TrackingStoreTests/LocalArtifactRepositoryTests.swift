import Foundation
import MLflowCore
import MLflowTestSupport
import Testing
import TrackingStore

@Suite struct LocalArtifactRepositoryTests {
    let folder: TemporaryDatabase
    let repository: LocalArtifactRepository

    init() throws {
        folder = try TemporaryDatabase()
        repository = try LocalArtifactRepository(root: folder.folder.appendingPathComponent("artifacts").path)
    }

    func path(_ text: String) throws -> ArtifactPath { try ArtifactPath.fromParameter(text) }

    func upload(_ text: String, _ bytes: [UInt8], expectedSize: Int? = nil) throws {
        try repository.upload(try path(text), expectedSize: expectedSize ?? bytes.count) { write in
            try bytes.withUnsafeBytes { try write($0) }
            return bytes.count
        }
    }

    func contents(_ text: String) throws -> [UInt8] {
        let file = try repository.openFile(try path(text))
        defer { close(file.descriptor) }
        var bytes = [UInt8](repeating: 0, count: file.size)
        #expect(read(file.descriptor, &bytes, file.size) == file.size)
        return bytes
    }

    @Test func uploadCreatesFoldersAndDownloadReadsItBack() throws {
        try upload("1/run/artifacts/dir/a.txt", Array("hello".utf8))
        #expect(try contents("1/run/artifacts/dir/a.txt") == Array("hello".utf8))
    }

    @Test func uploadReplacesAFile() throws {
        try upload("a.txt", Array("one".utf8))
        try upload("a.txt", Array("two".utf8))
        #expect(try contents("a.txt") == Array("two".utf8))
    }

    @Test func listingShowsNamesSizesAndFolders() throws {
        try upload("d/x.bin", [1, 2, 3])
        try upload("d/sub/y.bin", [1])
        let entries = try #require(try repository.list(try path("d")))
        #expect(entries == [FileInfo(path: "sub", isDirectory: true, size: nil), FileInfo(path: "x.bin", isDirectory: false, size: 3)])
        #expect(try repository.list(try path("missing")) == nil)
        #expect(try repository.listRecursively(try path("d")).map(\.path) == ["sub", "sub/y.bin", "x.bin"])
    }

    // Found by the fuzz-api target: a segment over NAME_MAX was a 500 INTERNAL_ERROR (ArtifactPath
    // now refuses such a segment); a path over PATH_MAX (4096 bytes) still reaches the file system.
    @Test func aNameTooLongForTheFileSystemIsA400() throws {
        let long = String(repeating: "x", count: 256)
        expectMLflowError(.invalidParameterValue) { try upload("d/\(long)/a.txt", [1]) }
        let deep = Array(repeating: String(repeating: "y", count: 250), count: 20).joined(separator: "/")  // 5019 bytes
        expectMLflowError(.invalidParameterValue, containing: "too long") { try upload("d/\(deep)", [1]) }
        expectMLflowError(.invalidParameterValue, containing: "too long") { try upload(deep + "/a.txt", [1]) }
    }

    // A 240-byte name fits the file system; its temporary name must fit too (it kept 100
    // characters of the name, up to 400 bytes, and the upload was a 500).
    @Test func aLongMultibyteNameThatFitsUploads() throws {
        let name = String(repeating: "€", count: 80)  // 240 bytes
        try upload("d/\(name)", [7])
        #expect(try contents("d/\(name)") == [7])
    }

    // Found by the fuzz-artifact-path target (issue #7): an upload 1,000 folders deep took seconds
    // (realpath of every prefix: cubic in the depth) and hit the 5 s fuzz timeout.
    @Test func aDeepUploadIsQuick() throws {
        let deep = Array(repeating: "x", count: 1500).joined(separator: "/")
        let clock = ContinuousClock()
        let elapsed = try clock.measure { try upload(deep + "/f", [1]) }
        #expect(try contents(deep + "/f") == [1])
        #expect(elapsed < .seconds(1), "\(elapsed)")
    }

    @Test func anUploadThroughASymlinkInsideTheRootLandsInItsTarget() throws {
        try upload("real/a.txt", [1])
        try FileManager.default.createSymbolicLink(atPath: repository.root + "/dlink", withDestinationPath: repository.root + "/real")
        try upload("dlink/sub/b.txt", [2])
        #expect(try contents("real/sub/b.txt") == [2])
        try FileManager.default.createSymbolicLink(atPath: repository.root + "/flink", withDestinationPath: repository.root + "/real/a.txt")
        expectMLflowError(.invalidParameterValue, containing: "runs through a file") { try upload("flink/c.txt", [3]) }
    }

    @Test func anUploadThatStopsShortLeavesNothing() throws {
        #expect(throws: MLflowError.self) { try upload("partial.bin", [1, 2, 3], expectedSize: 10) }
        #expect(try repository.list(try path("")) == [])
    }

    @Test func anUploadThatFailsLeavesNothing() throws {
        struct Broken: Error {}
        #expect(throws: Broken.self) {
            try repository.upload(try path("broken.bin"), expectedSize: nil) { write in
                try [UInt8](repeating: 7, count: 1000).withUnsafeBytes { try write($0) }
                throw Broken()
            }
        }
        #expect(try repository.list(try path("")) == [])
    }

    @Test func missingFileIsA404AndAFolderA400() throws {
        try upload("d/x", [1])
        expectMLflowError(.resourceDoesNotExist) { try repository.openFile(try path("nope")) }
        expectMLflowError(.invalidParameterValue) { try repository.openFile(try path("d")) }
    }

    @Test func deleteRemovesFilesAndTrees() throws {
        try upload("d/x", [1])
        try upload("d/sub/y", [1])
        try repository.delete(try path("d/sub"))
        #expect(try repository.list(try path("d"))?.map(\.path) == ["x"])
        try repository.delete(try path("d"))
        #expect(try repository.list(try path("d")) == nil)
        try repository.delete(try path("never-there"))
    }

    @Test func symlinksLeavingTheRootAreRefused() throws {
        let outside = folder.folder.appendingPathComponent("outside")
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        try Data("secret".utf8).write(to: outside.appendingPathComponent("secret.txt"))
        try FileManager.default.createSymbolicLink(atPath: repository.root + "/escape", withDestinationPath: outside.path)
        expectMLflowError(.invalidParameterValue, containing: "leaves the artifact store") { try repository.openFile(try path("escape/secret.txt")) }
        expectMLflowError(.invalidParameterValue, containing: "leaves the artifact store") { try upload("escape/new.txt", [1]) }
        expectMLflowError(.invalidParameterValue) { try repository.list(try path("escape")) }
        #expect(!FileManager.default.fileExists(atPath: outside.appendingPathComponent("new.txt").path))
    }

    @Test func deletingASymlinkRemovesTheLinkOnly() throws {
        try upload("real/f.txt", [1])
        try FileManager.default.createSymbolicLink(atPath: repository.root + "/flink", withDestinationPath: repository.root + "/real/f.txt")
        try FileManager.default.createSymbolicLink(atPath: repository.root + "/dlink", withDestinationPath: repository.root + "/real")
        try repository.delete(try path("flink"))
        try repository.delete(try path("dlink"))
        #expect(try contents("real/f.txt") == [1])
        #expect(try repository.list(try path(""))?.map(\.path) == ["real"])
    }

    @Test func uploadOverAFolderIsRefused() throws {
        try upload("d/x", [1])
        expectMLflowError(.invalidParameterValue) { try upload("d", [1]) }
    }
}
