/// Authorize: a charge point asks whether an idTag may charge.
public enum Authorize: OCPPAction {
    public static let name = "Authorize"
    public static let sender = OCPPSender.chargePoint
    public static let profile = FeatureProfile.core

    public struct Request: OCPPRequest {
        public typealias Action = Authorize
        public var idTag: IdToken

        public init(idTag: IdToken) { self.idTag = idTag }
    }

    public struct Response: OCPPPayload {
        public var idTagInfo: IdTagInfo

        public init(idTagInfo: IdTagInfo) { self.idTagInfo = idTagInfo }
    }
}
