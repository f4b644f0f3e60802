import Foundation
import NIOCore
import Shared

/// The first file part of a multipart/form-data body (RFC 7578), streamed: `feed` returns the content bytes each chunk
/// brings, never holding more than a delimiter's length back; form fields before the file part are skipped. A part is the
/// file when its Content-Disposition names a `filename`, or when its form name is `fieldName`. Any byte may come: what
/// does not fit the format is a 400, never a crash (vapor/multipart-kit 4.7.1 traps on a header byte above 0x7F).
final class MultipartFirstFile {
    private enum State {
        /// Before the first delimiter (a preamble is allowed).
        case preamble
        /// Just after a delimiter: `--` ends the body, CRLF starts a part (transport padding before it is allowed).
        case afterDelimiter
        case headers
        case body
        /// The closing delimiter has come, or the file part is complete: the rest is not looked at.
        case done
    }

    /// CRLF, `--` and the boundary: what ends a part. The body is read as if it began with CRLF, so that the first
    /// delimiter has the same shape as the others.
    private let delimiter: [UInt8]
    private let fieldName: String?
    private var state = State.preamble
    private var pending: [UInt8] = Array("\r\n".utf8)
    private var inFilePart = false
    private(set) var filename: String?
    private(set) var complete = false

    /// Headers of one part beyond this are refused (a form's part has a few short lines).
    static let maxHeaderBytes = 16 << 10

    init(boundary: String, fieldName: String? = nil) {
        delimiter = Array("\r\n--\(boundary)".utf8)
        self.fieldName = fieldName
    }

    func feed(_ chunk: ByteBuffer) throws -> [ByteBuffer] {
        guard state != .done else { return [] }
        pending.append(contentsOf: chunk.readableBytesView)
        var output: [ByteBuffer] = []
        var progress = true
        while progress, state != .done {
            progress = try step(&output)
        }
        return output
    }

    /// Moves on as far as `pending` allows; false when more bytes are needed.
    private func step(_ output: inout [ByteBuffer]) throws -> Bool {
        switch state {
        case .preamble, .body:
            if let found = Self.find(delimiter, in: pending) {
                if state == .body, inFilePart, found > 0 { output.append(ByteBuffer(bytes: pending[..<found])) }
                pending.removeFirst(found + delimiter.count)
                if state == .body, inFilePart {
                    complete = true
                    state = .done
                    return false
                }
                state = .afterDelimiter
                return true
            }
            // No delimiter yet: all but what could be its beginning is content (or preamble, dropped).
            let keep = min(pending.count, delimiter.count - 1)
            let released = pending.count - keep
            if released > 0 {
                if state == .body, inFilePart { output.append(ByteBuffer(bytes: pending[..<released])) }
                pending.removeFirst(released)
            }
            return false
        case .afterDelimiter:
            var index = 0
            while index < pending.count, pending[index] == UInt8(ascii: " ") || pending[index] == UInt8(ascii: "\t") { index += 1 }
            guard pending.count >= index + 2 else {
                guard index <= 256 else { throw Self.malformed }
                return false
            }
            let next = (pending[index], pending[index + 1])
            if index == 0, next == (UInt8(ascii: "-"), UInt8(ascii: "-")) {
                state = .done  // the closing delimiter
                return false
            }
            guard next == (UInt8(ascii: "\r"), UInt8(ascii: "\n")) else { throw Self.malformed }
            pending.removeFirst(index + 2)
            state = .headers
            return true
        case .headers:
            // A part without headers starts its content at once; otherwise its headers end with an empty line.
            let headerEnd: (headers: Int, content: Int)?
            if pending.starts(with: Array("\r\n".utf8)) {
                headerEnd = (0, 2)
            } else {
                headerEnd = Self.find(Array("\r\n\r\n".utf8), in: pending).map { ($0, $0 + 4) }
            }
            guard let headerEnd else {
                guard pending.count <= Self.maxHeaderBytes else { throw Self.malformed }
                return false
            }
            try readHeaders(Array(pending[..<headerEnd.headers]))
            pending.removeFirst(headerEnd.content)
            state = .body
            return true
        case .done:
            return false
        }
    }

    /// The header lines of a part: whether it is the file, and its file name.
    private func readHeaders(_ bytes: [UInt8]) throws {
        guard bytes.count <= Self.maxHeaderBytes else { throw Self.malformed }
        inFilePart = false
        for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            let text = String(decoding: line.last == UInt8(ascii: "\r") ? line.dropLast() : line, as: UTF8.self)
            guard let colon = text.firstIndex(of: ":") else { throw Self.malformed }
            guard text[..<colon].trimmingCharacters(in: .whitespaces).lowercased() == "content-disposition" else { continue }
            let value = String(text[text.index(after: colon)...])
            let filename = HeaderParameter.value("filename", of: value)
            if filename != nil || (fieldName != nil && HeaderParameter.value("name", of: value) == fieldName) {
                inFilePart = true
                self.filename = filename
            }
        }
    }

    /// Where `needle` first starts in `haystack`.
    static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard let first = needle.first, haystack.count >= needle.count else { return nil }
        var index = 0
        let last = haystack.count - needle.count
        while index <= last {
            guard let start = haystack[index...last].firstIndex(of: first) else { return nil }
            if haystack[start..<start + needle.count].elementsEqual(needle) { return start }
            index = start + 1
        }
        return nil
    }

    private static let malformed = Problem.badRequest("malformed multipart/form-data body")
}
