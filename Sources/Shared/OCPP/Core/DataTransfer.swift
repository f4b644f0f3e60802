/// DataTransfer: vendor-specific data, sent by either side.
public enum DataTransfer: OCPPAction {
    public static let name = "DataTransfer"
    public static let sender = OCPPSender.either
    public static let profile = FeatureProfile.core

    public struct Request: OCPPRequest {
        public typealias Action = DataTransfer
        public var vendorId: CiString255
        public var messageId: CiString50?
        /// Free text; its meaning is agreed between the vendors, so it has no length limit.
        public var data: String?

        public init(vendorId: CiString255, messageId: CiString50? = nil, data: String? = nil) {
            self.vendorId = vendorId
            self.messageId = messageId
            self.data = data
        }
    }

    public struct Response: OCPPPayload {
        public var status: DataTransferStatus
        public var data: String?

        public init(status: DataTransferStatus, data: String? = nil) {
            self.status = status
            self.data = data
        }
    }
}

/// The receiver's answer to a DataTransfer.
public enum DataTransferStatus: String, OCPPEnum {
    case accepted = "Accepted"
    case rejected = "Rejected"
    case unknownMessageId = "UnknownMessageId"
    case unknownVendorId = "UnknownVendorId"
}
