import Foundation

/// StopTransaction: a charge point reports that a transaction ended, with its final meter reading.
public enum StopTransaction: OCPPAction {
    public static let name = "StopTransaction"
    public static let sender = OCPPSender.chargePoint
    public static let profile = FeatureProfile.core

    public struct Request: OCPPRequest {
        public typealias Action = StopTransaction
        /// The tag that stopped the transaction, when it was stopped by one.
        public var idTag: IdToken?
        /// Meter reading in Wh at the end.
        public var meterStop: Int
        public var timestamp: Date
        public var transactionId: Int
        /// Absent means Local.
        public var reason: Reason?
        public var transactionData: [MeterValue]?

        public init(
            idTag: IdToken? = nil, meterStop: Int, timestamp: Date, transactionId: Int, reason: Reason? = nil,
            transactionData: [MeterValue]? = nil
        ) {
            self.idTag = idTag
            self.meterStop = meterStop
            self.timestamp = timestamp
            self.transactionId = transactionId
            self.reason = reason
            self.transactionData = transactionData
        }

        public init?(plainJSON json: JSONValue) {
            var idTag: IdToken?
            var meterStop: Int?
            var timestamp: Date?
            var transactionId: Int?
            var reason: Reason?
            var transactionData: [MeterValue]?
            let plain = json.readPlainly { name, value in
                switch name {
                case "idTag": value.plainOptional(into: &idTag)
                case "meterStop": value.plain(into: &meterStop)
                case "timestamp": value.plain(into: &timestamp)
                case "transactionId": value.plain(into: &transactionId)
                case "reason": value.plainOptional(into: &reason)
                case "transactionData": value.plainOptional(into: &transactionData, each: MeterValue.init(plainJSON:))
                default: true
                }
            }
            guard plain, let meterStop, let timestamp, let transactionId else { return nil }
            self.init(
                idTag: idTag, meterStop: meterStop, timestamp: timestamp, transactionId: transactionId, reason: reason,
                transactionData: transactionData)
        }
    }

    public struct Response: OCPPPayload {
        /// Present only when the request carried an idTag.
        public var idTagInfo: IdTagInfo?

        public init(idTagInfo: IdTagInfo? = nil) { self.idTagInfo = idTagInfo }

        public func writePlainJSON(_ writer: inout PlainJSONWriter) -> Bool {
            writer.beginObject()
            if let idTagInfo {
                writer.key("idTagInfo")
                idTagInfo.writePlainJSON(&writer)
            }
            writer.endObject()
            return true
        }
    }
}

/// Why a transaction stopped.
public enum Reason: String, OCPPEnum {
    case emergencyStop = "EmergencyStop"
    case evDisconnected = "EVDisconnected"
    case hardReset = "HardReset"
    case local = "Local"
    case other = "Other"
    case powerLoss = "PowerLoss"
    case reboot = "Reboot"
    case remote = "Remote"
    case softReset = "SoftReset"
    case unlockCommand = "UnlockCommand"
    case deAuthorized = "DeAuthorized"
}
