import Foundation

/// StatusNotification: a charge point reports the status of a connector, or with connectorId 0 its own.
public enum StatusNotification: OCPPAction {
    public static let name = "StatusNotification"
    public static let sender = OCPPSender.chargePoint
    public static let profile = FeatureProfile.core

    public struct Request: OCPPRequest {
        public typealias Action = StatusNotification
        public var connectorId: Int
        public var errorCode: ChargePointErrorCode
        /// Free-form additional information about the error.
        public var info: CiString50?
        public var status: ChargePointStatus
        /// When the status was reached; absent means now.
        public var timestamp: Date?
        /// Identifies the vendor whose `vendorErrorCode` this is.
        public var vendorId: CiString255?
        public var vendorErrorCode: CiString50?

        public init(
            connectorId: Int, errorCode: ChargePointErrorCode, info: CiString50? = nil, status: ChargePointStatus, timestamp: Date? = nil,
            vendorId: CiString255? = nil, vendorErrorCode: CiString50? = nil
        ) {
            self.connectorId = connectorId
            self.errorCode = errorCode
            self.info = info
            self.status = status
            self.timestamp = timestamp
            self.vendorId = vendorId
            self.vendorErrorCode = vendorErrorCode
        }

        public func validate() throws {
            try checkConnectorId(connectorId, allowsZero: true)
        }
    }

    public struct Response: OCPPPayload {
        public init() {}

        public func writePlainJSON(_ writer: inout PlainJSONWriter) -> Bool {
            writer.beginObject()
            writer.endObject()
            return true
        }
    }
}
