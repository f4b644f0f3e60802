import Foundation
import NIOCore
import Shared
import Testing

@testable import ocppd

@Suite struct FileTests {
    @Test func oneByteRangeIsServedAndAnythingElseIsTheWholeFile() {
        #expect(FileDownload.byteRange(nil, size: 100) == .whole)
        #expect(FileDownload.byteRange("bytes=10-19", size: 100) == .range(10..<20))
        #expect(FileDownload.byteRange("bytes=90-500", size: 100) == .range(90..<100))
        #expect(FileDownload.byteRange("bytes=95-", size: 100) == .range(95..<100))
        #expect(FileDownload.byteRange("bytes=-5", size: 100) == .range(95..<100))
        #expect(FileDownload.byteRange("bytes=-500", size: 100) == .range(0..<100))
        #expect(FileDownload.byteRange("bytes=100-", size: 100) == .unsatisfiable)
        #expect(FileDownload.byteRange("bytes=-0", size: 100) == .unsatisfiable)
        #expect(FileDownload.byteRange("bytes=0-", size: 0) == .unsatisfiable)
        // Several ranges, reversed ones and other units are answered with the whole file (RFC 9110 allows it).
        #expect(FileDownload.byteRange("bytes=0-1,5-6", size: 100) == .whole)
        #expect(FileDownload.byteRange("bytes=20-10", size: 100) == .whole)
        #expect(FileDownload.byteRange("items=0-1", size: 100) == .whole)
        #expect(FileDownload.byteRange("bytes=a-b", size: 100) == .whole)
    }

    @Test func aChargersFileNameKeepsNoDirectoryOrControlCharacter() {
        #expect(Uploads.safeName("diag.zip") == "diag.zip")
        #expect(Uploads.safeName("../../etc/passwd") == "passwd")
        #expect(Uploads.safeName("C:\\logs\\cp.log") == "cp.log")
        // A combining mark after the separator made one Character of the two (scripts/fuzz, FuzzUpload).
        #expect(Uploads.safeName("x/\u{301}..") == "\u{301}..")
        #expect(Uploads.safeName("a\u{0}b\nc.txt") == "abc.txt")
        #expect(Uploads.safeName("..") == nil)
        #expect(Uploads.safeName("/") == nil)
        #expect(Uploads.safeName(nil) == nil)
        #expect(Uploads.safeName(String(repeating: "x", count: 300))?.count == 255)
    }

    @Test func aNameInTheQueryIsDecodedAsFormsEncodeIt() {
        #expect(Uploads.formQuery("name=cp+2.0.bin&x=1", "name") == "cp 2.0.bin")
        #expect(Uploads.formQuery("x=1&name=a%2Bb%20c.bin", "name") == "a+b c.bin")
        #expect(Uploads.formQuery("names=x", "name") == nil)
        #expect(Uploads.formQuery(nil, "name") == nil)
    }

    @Test func theBoundaryComesFromAMultipartContentType() {
        #expect(Uploads.boundary("multipart/form-data; boundary=abc123") == "abc123")
        #expect(Uploads.boundary("Multipart/Form-Data; charset=utf-8; Boundary=\"a b\"") == "a b")
        #expect(Uploads.boundary("application/octet-stream") == nil)
        #expect(Uploads.boundary("multipart/form-data") == nil)
        #expect(Uploads.boundary("multipart/form-data; boundary=" + String(repeating: "x", count: 71)) == nil)
        #expect(HeaderParameter.value("filename", of: "form-data; name=\"file\"; filename=\"diag.zip\"") == "diag.zip")
        #expect(HeaderParameter.value("filename", of: "form-data; name=\"note\"") == nil)
        #expect(HeaderParameter.value("name", of: "form-data; name=\"note\"") == "note")
    }

    @Test func retentionRemovesTheTooOldThenTheOldestUntilTheRestFits() {
        let now = Date(timeIntervalSince1970: 100 * 86_400)
        func file(_ id: String, daysAgo: Double, size: Int64) -> StoredFile {
            StoredFile(
                id: id, kind: .diagnostics, cpId: "CP1", name: id, size: size, sha256: "",
                createdAt: now.addingTimeInterval(-daysAgo * 86_400))
        }
        let files = [
            file("a", daysAgo: 40, size: 10), file("b", daysAgo: 20, size: 50), file("c", daysAgo: 5, size: 30),
            file("d", daysAgo: 1, size: 40),
        ]
        #expect(Retention.toRemove(files, now: now, days: nil, maxTotal: nil).isEmpty)
        #expect(Retention.toRemove(files, now: now, days: 30, maxTotal: nil).map(\.id) == ["a"])
        #expect(Retention.toRemove(files, now: now, days: nil, maxTotal: 100).map(\.id) == ["a", "b"])
        #expect(Retention.toRemove(files, now: now, days: 30, maxTotal: 70).map(\.id) == ["a", "b"])
        #expect(Retention.toRemove(files, now: now, days: 10, maxTotal: 0).map(\.id) == ["a", "b", "c", "d"])
        // The file just kept stays, even alone above the total: the older ones make room for it.
        #expect(Retention.toRemove(files, now: now, days: nil, maxTotal: 0, keeping: "d").map(\.id) == ["a", "b", "c"])
    }
}

@Suite struct MultipartTests {
    /// `body` fed in pieces of `size` bytes: the file's bytes, its name, and whether it was complete.
    private func parse(_ body: [UInt8], pieces size: Int, fieldName: String? = nil) throws -> (
        content: [UInt8], name: String?, complete: Bool
    ) {
        let part = MultipartFirstFile(boundary: "XyZ", fieldName: fieldName)
        var content: [UInt8] = []
        var index = 0
        while index < body.count {
            let end = min(body.count, index + size)
            for piece in try part.feed(ByteBuffer(bytes: body[index..<end])) { content += piece.readableBytesView }
            index = end
        }
        return (content, part.filename, part.complete)
    }

    private let form = Array(
        """
        preamble to ignore\r
        --XyZ\r
        Content-Disposition: form-data; name="note"\r
        \r
        not the file\r
        --XyZ  \r
        content-disposition: form-data; name="file"; filename="diag.tar.gz"\r
        Content-Type: application/octet-stream\r
        \r
        line one\r
        a--XyZ is no delimiter without its CRLF\r
        -- XyZ\r\r\n--Xy\r
        --XyZ--\r
        epilogue
        """.utf8)

    @Test func theFirstFilePartComesOutWhole_howeverTheBodyIsCut() throws {
        let expected = Array("line one\r\na--XyZ is no delimiter without its CRLF\r\n-- XyZ\r\r\n--Xy".utf8)
        for size in 1...form.count {
            let result = try parse(form, pieces: size)
            #expect(result.content == expected, "pieces of \(size)")
            #expect(result.name == "diag.tar.gz" && result.complete)
        }
    }

    @Test func aFormFieldOfTheGivenNameIsTheFileTooAndAPartWithoutHeadersIsNone() throws {
        let body = Array("--XyZ\r\n\r\nno headers\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nimage\r\n--XyZ--".utf8)
        #expect(try parse(body, pieces: 7, fieldName: "file").content == Array("image".utf8))
        #expect(try parse(body, pieces: 7).complete == false)
    }

    @Test func anythingThatIsNotMultipartIsRefusedNotACrash() throws {
        // Bytes above 0x7F in a header name: what crashed vapor/multipart-kit 4.7.1.
        let high: [UInt8] = Array("--XyZ\r\n".utf8) + [0xF2, 0xA2, 0x8E, 0x8B] + Array("--XyZ--\r\n".utf8)
        #expect(try parse(high, pieces: 64).complete == false)
        let highName: [UInt8] = Array("--XyZ\r\n".utf8) + [0xF2, 0xA2] + Array(": x\r\n\r\ncontent\r\n--XyZ--".utf8)
        #expect(try parse(highName, pieces: 5).complete == false)
        #expect(throws: Problem.self) { _ = try parse(Array("--XyZ junk\r\n\r\n".utf8), pieces: 3) }
        let endless = Array("--XyZ\r\n".utf8) + Array(repeating: UInt8(ascii: "a"), count: MultipartFirstFile.maxHeaderBytes + 10)
        #expect(throws: Problem.self) { _ = try parse(endless, pieces: 4096) }
        // Random bytes never crash: they are refused or give no file.
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            var bytes =
                Array("--XyZ\r\n".utf8)
                + (0..<Int.random(in: 0...200, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if Bool.random(using: &generator) { bytes += Array("\r\n--XyZ--".utf8) }
            _ = try? parse(bytes, pieces: Int.random(in: 1...50, using: &generator))
        }
    }
}
