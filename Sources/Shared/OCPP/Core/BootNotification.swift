import Foundation

/// BootNotification: a charge point announces itself after (re)booting.
public enum BootNotification: OCPPAction {
    public static let name = "BootNotification"
    public static let sender = OCPPSender.chargePoint
    public static let profile = FeatureProfile.core

    public struct Request: OCPPRequest {
        public typealias Action = BootNotification
        public var chargePointVendor: CiString20
        public var chargePointModel: CiString20
        public var chargePointSerialNumber: CiString25?
        public var chargeBoxSerialNumber: CiString25?
        public var firmwareVersion: CiString50?
        public var iccid: CiString20?
        public var imsi: CiString20?
        public var meterType: CiString25?
        public var meterSerialNumber: CiString25?

        public init(
            chargePointVendor: CiString20, chargePointModel: CiString20, chargePointSerialNumber: CiString25? = nil,
            chargeBoxSerialNumber: CiString25? = nil, firmwareVersion: CiString50? = nil, iccid: CiString20? = nil,
            imsi: CiString20? = nil, meterType: CiString25? = nil, meterSerialNumber: CiString25? = nil
        ) {
            self.chargePointVendor = chargePointVendor
            self.chargePointModel = chargePointModel
            self.chargePointSerialNumber = chargePointSerialNumber
            self.chargeBoxSerialNumber = chargeBoxSerialNumber
            self.firmwareVersion = firmwareVersion
            self.iccid = iccid
            self.imsi = imsi
            self.meterType = meterType
            self.meterSerialNumber = meterSerialNumber
        }
    }

    public struct Response: OCPPPayload {
        public var status: RegistrationStatus
        public var currentTime: Date
        /// Heartbeat interval in seconds.
        public var interval: Int

        public init(status: RegistrationStatus, currentTime: Date, interval: Int) {
            self.status = status
            self.currentTime = currentTime
            self.interval = interval
        }

        public func writePlainJSON(_ writer: inout PlainJSONWriter) -> Bool {
            writer.beginObject()
            writer.key("currentTime")
            writer.date(currentTime)
            writer.key("interval")
            writer.integer(interval)
            writer.key("status")
            writer.string(status.rawValue)
            writer.endObject()
            return true
        }
    }
}

/// The central system's answer to a BootNotification, and a station's registration state.
public enum RegistrationStatus: String, OCPPEnum {
    case accepted = "Accepted"
    case pending = "Pending"
    case rejected = "Rejected"
}
