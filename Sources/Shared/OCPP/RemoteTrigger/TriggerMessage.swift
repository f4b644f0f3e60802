/// TriggerMessage: the central system asks a charge point to send one of its messages now.
public enum TriggerMessage: OCPPAction {
    public static let name = "TriggerMessage"
    public static let sender = OCPPSender.centralSystem
    public static let profile = FeatureProfile.remoteTrigger

    public struct Request: OCPPRequest {
        public typealias Action = TriggerMessage
        public var requestedMessage: MessageTrigger
        /// The connector the message is about, for the messages that concern one.
        public var connectorId: Int?

        public init(requestedMessage: MessageTrigger, connectorId: Int? = nil) {
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

/// The messages a charge point can be triggered to send.
public enum MessageTrigger: String, OCPPEnum {
    case bootNotification = "BootNotification"
    case diagnosticsStatusNotification = "DiagnosticsStatusNotification"
    case firmwareStatusNotification = "FirmwareStatusNotification"
    case heartbeat = "Heartbeat"
    case meterValues = "MeterValues"
    case statusNotification = "StatusNotification"
}

/// A charge point's answer to TriggerMessage.
public enum TriggerMessageStatus: String, OCPPEnum {
    case accepted = "Accepted"
    case rejected = "Rejected"
    case notImplemented = "NotImplemented"
}
