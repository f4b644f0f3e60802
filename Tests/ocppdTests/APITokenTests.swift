import Foundation
import Logging
import Testing

@testable import ocppd

@Suite struct APITokenTests {
    private func withDirectory(_ body: (String) throws -> Void) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ocppd-token-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try body(directory)
    }

    @Test func onlyTheExactTokenMatches() {
        let token = APIToken(source: .configured, token: "secret-token")
        #expect(token.matches(Array("secret-token".utf8)))
        for wrong in ["", "secret-toke", "secret-token ", "secret-tokeN", "Secret-token", "secret-token-and-more"] {
            #expect(!token.matches(Array(wrong.utf8)), "\(wrong)")
        }
    }

    @Test func rotationReplacesTheTokenAndItsFile() throws {
        try withDirectory { directory in
            let path = APIToken.filePath(dataDirectory: directory)
            try APIToken.write("first", to: path)
            let token = APIToken(source: .file(path), token: "first")
            let fresh = try #require(try token.rotate())
            #expect(fresh.count == 64 && fresh != "first")
            #expect(token.matches(Array(fresh.utf8)) && !token.matches(Array("first".utf8)))
            #expect(try String(contentsOfFile: path, encoding: .utf8) == fresh + "\n")
            let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
            #expect(mode == 0o600)
        }
    }

    @Test func aTokenWrittenToTheFileIsTakenOnReload() throws {
        try withDirectory { directory in
            let path = APIToken.filePath(dataDirectory: directory)
            try APIToken.write("first", to: path)
            let token = APIToken(source: .file(path), token: "first")
            #expect(!token.reload())
            try APIToken.write("second", to: path)
            #expect(token.reload())
            #expect(token.matches(Array("second".utf8)) && !token.matches(Array("first".utf8)))
            // A file that went missing or empty leaves the token in force.
            try FileManager.default.removeItem(atPath: path)
            #expect(!token.reload() && token.matches(Array("second".utf8)))
        }
    }

    @Test func aConfiguredTokenIsNeitherRotatedNorReloaded() throws {
        let token = APIToken(source: .configured, token: "configured")
        #expect(try token.rotate() == nil)
        #expect(!token.reload() && token.matches(Array("configured".utf8)))
    }

    @Test func aFileThatCannotBeReadLeavesTheTokenInForceAndStopsAStart() throws {
        try withDirectory { directory in
            let path = APIToken.filePath(dataDirectory: directory)
            try APIToken.write("first", to: path)
            let token = APIToken(source: .file(path), token: "first")
            try FileManager.default.removeItem(atPath: path)
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
            #expect(!token.reload() && token.matches(Array("first".utf8)))
            var configuration = Configuration(dataDirectory: directory)
            configuration.apiToken = nil
            #expect(throws: ConfigurationError.self) { try APIToken.resolve(configuration: configuration, logger: Logger(label: "test")) }
        }
    }

    @Test func aRotationIsNotUndoneByTheNextReload() throws {
        try withDirectory { directory in
            let path = APIToken.filePath(dataDirectory: directory)
            try APIToken.write("first", to: path)
            let token = APIToken(source: .file(path), token: "first")
            let fresh = try #require(try token.rotate())
            #expect(!token.reload())
            #expect(token.matches(Array(fresh.utf8)))
        }
    }

    @Test(.enabled(if: geteuid() == 0, "needs root to make a file of another user"))
    func aRotatedFileKeepsItsOwner() throws {
        try withDirectory { directory in
            let path = APIToken.filePath(dataDirectory: directory)
            try APIToken.write("first", to: path)
            #expect(chown(path, 4321, 4322) == 0)
            try APIToken.write("second", to: path)
            var info = stat()
            #expect(stat(path, &info) == 0)
            #expect(info.st_uid == 4321 && info.st_gid == 4322 && info.st_mode & 0o777 == 0o600)
        }
    }
}
