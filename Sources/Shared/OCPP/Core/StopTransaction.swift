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
            guard case .object(let object) = json else { return nil }
            var idTag: IdToken?
            var meterStop: Int?
            var timestamp: Date?
            var transactionId: Int?
            var reason: Reason?
            var transactionData: [MeterValue]?
            for (key, value) in object.members {
                switch key {
                case "idTag":
                    guard value.plainOptional(into: &idTag) else { return nil }
                case "meterStop":
                    guard let meter = value.plainInt else { return nil }
                    meterStop = meter
                case "timestamp":
                    guard let date = value.plainDate else { return nil }
                    timestamp = date
                case "transactionId":
                    guard let id = value.plainInt else { return nil }
                    transactionId = id
                case "reason":
                    guard value.plainOptional(into: &reason) else { return nil }
                case "transactionData":
                    if case .null = value {
                        transactionData = nil
                    } else {
                        guard let values = value.plainArray(MeterValue.init(plainJSON:)) else { return nil }
                        transactionData = values
                    }
                default: continue
                }
            }
            guard let meterStop, let timestamp, let transactionId else { return nil }
            self.init(
                idTag: idTag, meterStop: meterStop, timestamp: timestamp, transactionId: transactionId, reason: reason,
                transactionData: transactionData)
        }
    }

    public struct Response: OCPPPayload {
        /// Present only when the request carried an idTag.
        public var idTagInfo: IdTagInfo?

        public init(idTagInfo: IdTagInfo? = nil) { self.idTagInfo = idTagInfo }
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
