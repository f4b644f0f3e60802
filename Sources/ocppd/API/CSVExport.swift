import Foundation
import HTTPTypes
import Hummingbird
import Shared

/// Lists as CSV for accounting (RFC 4180: a header row, CRLF line ends, fields with a comma, quote or line break
/// quoted), streamed page by page: no limit but the filters. The columns are the JSON list's fields, in the resource's
/// order; a null or absent field is an empty cell, a string is as it is, a number or boolean as JSON writes it.
enum CSVExport {
    /// Rows read from the store per page.
    static let pageSize = 500

    /// Whether the request asks for CSV: `?format=csv`, or `Accept: text/csv` (without a format). 400 for an unknown
    /// format.
    static func wanted(_ request: Request) throws -> Bool {
        if let format = request.uri.queryParameters["format"] {
            switch format.lowercased() {
            case "csv": return true
            case "json": return false
            default: throw Problem.badRequest("invalid query parameter 'format': csv or json")
            }
        }
        return request.headers[.accept]?.lowercased().contains("text/csv") ?? false
    }

    static func field(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func line(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",") + "\r\n"
    }

    static func cell(_ value: JSONValue?) -> String {
        switch value {
        case nil, .null?: ""
        case .string(let text)?: text
        case let value?: value.jsonText
        }
    }

    /// The rows of `items` under `columns`.
    static func rows<T: Encodable>(_ items: [T], columns: [String]) throws -> String {
        var text = ""
        for item in items {
            let object = try JSONCoding.jsonValue(item)
            text += line(columns.map { cell(object[$0]) })
        }
        return text
    }

    /// A CSV answer whose rows come from `next` (called with the last item of the page before; an empty page ends it). A
    /// store that fails midway ends the answer without its last chunk, so the client sees it incomplete, never short.
    static func response<T: Encodable & Sendable>(
        name: String, columns: [String], next: @escaping @Sendable (_ after: T?) async throws -> [T]
    ) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"\(name)\""],
            body: ResponseBody { writer in
                try await writer.write(ByteBuffer(string: line(columns)))
                var last: T?
                while true {
                    let page = try await next(last)
                    guard let final = page.last else { break }
                    try await writer.write(ByteBuffer(string: try rows(page, columns: columns)))
                    last = final
                }
                try await writer.finish(nil)
            })
    }

    static let sessionColumns = [
        "transactionId", "cpId", "connectorId", "idTag", "idTagStatus", "stopIdTag", "meterStart", "meterStop", "energyWh",
        "startedAt", "stoppedAt", "stopReason", "reservationId", "active", "lastPowerW", "lastMeterValueAt",
    ]

    static let meterValueColumns = [
        "timestamp", "cpId", "transactionId", "connectorId", "measurand", "value", "unit", "context", "phase", "location", "format",
    ]
}
