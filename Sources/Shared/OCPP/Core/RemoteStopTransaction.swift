/// RemoteStopTransaction: the central system asks a charge point to stop a transaction.
public enum RemoteStopTransaction: OCPPAction {
    public static let name = "RemoteStopTransaction"
    public static let sender = OCPPSender.centralSystem
    public static let profile = FeatureProfile.core

    public struct Request: OCPPRequest {
        public typealias Action = RemoteStopTransaction
        public var transactionId: Int

        public init(transactionId: Int) { self.transactionId = transactionId }
    }

    public struct Response: OCPPPayload {
        public var status: RemoteStartStopStatus

        public init(status: RemoteStartStopStatus) { self.status = status }
    }
}
