import Foundation
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
    }
}
