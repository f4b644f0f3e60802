import Foundation

/// The authorization status of an idTag, as Authorize, StartTransaction and StopTransaction answer it.
public struct IdTagInfo: Codable, Sendable, Equatable {
    public var status: AuthorizationStatus
    public var expiryDate: Date?
    public var parentIdTag: IdToken?

    public init(status: AuthorizationStatus, expiryDate: Date? = nil, parentIdTag: IdToken? = nil) {
        self.status = status
        self.expiryDate = expiryDate
        self.parentIdTag = parentIdTag
    }

    /// As `JSONCoding.encode` writes it (`OCPPPayload.writePlainJSON`).
    public func writePlainJSON(_ writer: inout PlainJSONWriter) {
        writer.beginObject()
        if let expiryDate {
            writer.key("expiryDate")
            writer.date(expiryDate)
        }
        if let parentIdTag {
            writer.key("parentIdTag")
            writer.string(parentIdTag.value)
        }
        writer.key("status")
        writer.string(status.rawValue)
        writer.endObject()
    }
}

public enum AuthorizationStatus: String, OCPPEnum {
    case accepted = "Accepted"
    case blocked = "Blocked"
    case expired = "Expired"
    case invalid = "Invalid"
    case concurrentTx = "ConcurrentTx"
}
