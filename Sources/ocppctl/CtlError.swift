/// Exit codes of ocppctl; documented in `ocppctl --help` and the man page.
enum ExitStatus: Int32, CaseIterable {
    case success = 0
    case failure = 1
    case usage = 2
    case notFound = 3
    case stationOffline = 4
    case refused = 5
    case timeout = 6
    case unreachable = 7
    case unauthorized = 8
    case transferFailed = 9
    case localFile = 10

    var meaning: String {
        switch self {
        case .success: "success"
        case .failure: "any other error (the message says which)"
        case .usage: "usage error: a wrong option or argument"
        case .notFound: "not found: unknown station, session, tag or command"
        case .stationOffline: "the station is not connected"
        case .refused: "refused by the charge point (Rejected, NotSupported, Failed, a CALLERROR ...)"
        case .timeout: "the charge point or the server did not answer in time"
        case .unreachable: "the server cannot be reached"
        case .unauthorized: "unauthorized: missing or wrong API token"
        case .transferFailed: "the charge point reported a failed upload, download or installation (UploadFailed, DownloadFailed ...)"
        case .localFile: "a local file could not be read or written"
        }
    }

    /// The table that `--help` and the man page show.
    static var documentation: String {
        "Exit codes:\n" + allCases.map { "  \($0.rawValue)  \($0.meaning)" }.joined(separator: "\n")
    }
}

/// An error ocppctl reports as one line on stderr, with its exit code.
struct CtlError: Error, CustomStringConvertible {
    var status: ExitStatus
    var message: String

    init(_ status: ExitStatus, _ message: String) {
        self.status = status
        self.message = message
    }

    var description: String { message }
}
