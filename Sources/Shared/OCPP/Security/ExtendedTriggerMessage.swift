/// ExtendedTriggerMessage: TriggerMessage with the white paper's messages, among them SignChargePointCertificate (which
/// makes a charge point renew its client certificate).
public enum ExtendedTriggerMessage: OCPPAction {
    public static let name = "ExtendedTriggerMessage"
    public static let sender = OCPPSender.centralSystem
    public static let profile = FeatureProfile.security

    public struct Request: OCPPRequest {
        public typealias Action = ExtendedTriggerMessage
        public var requestedMessage: ExtendedMessageTrigger
        /// The connector the message is about, for the messages that concern one.
        public var connectorId: Int?

        public init(requestedMessage: ExtendedMessageTrigger, connectorId: Int? = nil) {
            self.requestedMessage = requestedMessage
            self.connectorId = connectorId
        }

        public func validate() throws {
            try checkConnectorId(connectorId, allowsZero: false)
        }
    }

    public struct Response: OCPPPayload {
        public var status: TriggerMessageStatus

        public init(status: TriggerMessageStatus) { self.status = status }
    }
}

/// The messages ExtendedTriggerMessage can ask for.
public enum ExtendedMessageTrigger: String, OCPPEnum {
    case bootNotification = "BootNotification"
    case logStatusNotification = "LogStatusNotification"
    case firmwareStatusNotification = "FirmwareStatusNotification"
    case heartbeat = "Heartbeat"
    case meterValues = "MeterValues"
    case signChargePointCertificate = "SignChargePointCertificate"
    case statusNotification = "StatusNotification"
}
