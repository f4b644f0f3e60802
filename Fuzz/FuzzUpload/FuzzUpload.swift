import Foundation
import FuzzSupport
import NIOCore

@testable import ocppd

// What a charger sends when it uploads a file (GetDiagnostics, GetLog) or downloads firmware: the multipart/form-data
// body (MultipartFirstFile, streamed), the file name it gives (Uploads.safeName), the Content-Type's boundary
// (Uploads.boundary) and a Range header (FileDownload.byteRange). The first byte picks the parser. Properties: the file
// part's content, name and completeness do not depend on how the body is cut into chunks, and the content is never
// longer than the body; a safe name holds no directory separator and no control character; a boundary is 1 to 70
// characters; a range lies within the file.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzUpload(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzInput(data, size) { bytes in
        let (parser, rest) = split(bytes, cases: 4)
        let text = String(decoding: rest, as: UTF8.self)
        switch parser {
        case 0:
            // The second byte sets the chunk size of the second reading.
            let (chunk, body) = split(Array(rest), cases: 64)
            let whole = read(body, chunk: max(body.count, 1))
            let cut = read(body, chunk: chunk + 1)
            expect(whole == cut, "the upload read in chunks of \(chunk + 1) differs from the upload read whole")
            if let content = whole?.content { expect(content.count <= body.count, "more content than body") }
        case 1:
            guard let name = Uploads.safeName(text) else { return }
            expect(!name.unicodeScalars.contains { $0 == "/" || $0 == "\\" }, "a safe name with a separator: \(name.debugDescription)")
            expect(!name.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }, "a safe name with a control character")
            expect(name != "." && name != ".." && !name.isEmpty, "the safe name \(name.debugDescription)")
        case 2:
            guard let boundary = Uploads.boundary(text) else { return }
            expect((1...70).contains(boundary.count), "a boundary of \(boundary.count) characters")
        default:
            let size = Int64(rest.count * 1000)
            if case .range(let range) = FileDownload.byteRange(text, size: size) {
                expect(range.lowerBound >= 0 && range.upperBound <= size && !range.isEmpty, "the range \(range) of a file of \(size) bytes")
            }
        }
    }
}

struct Upload: Equatable {
    var content: [UInt8]
    var filename: String?
    var complete: Bool
}

/// The file part of `body` (boundary "XyZ"), fed `chunk` bytes at a time; nil when the body is refused.
func read(_ body: ArraySlice<UInt8>, chunk: Int) -> Upload? {
    let part = MultipartFirstFile(boundary: "XyZ", fieldName: "file")
    var content: [UInt8] = []
    var start = body.startIndex
    while start < body.endIndex {
        let end = min(start + chunk, body.endIndex)
        guard let output = try? part.feed(ByteBuffer(bytes: body[start..<end])) else { return nil }
        for buffer in output { content.append(contentsOf: buffer.readableBytesView) }
        start = end
    }
    return Upload(content: content, filename: part.filename, complete: part.complete)
}

@_cdecl("FuzzUpload_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzUpload)
}
