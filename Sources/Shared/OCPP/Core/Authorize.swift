/// Authorize: a charge point asks whether an idTag may charge.
public enum Authorize: OCPPAction {
    public static let name = "Authorize"
    public static let sender = OCPPSender.chargePoint
    public static let profile = FeatureProfile.core

    public struct Request: OCPPRequest {
        public typealias Action = Authorize
        public var idTag: IdToken

        public init(idTag: IdToken) { self.idTag = idTag }

        public init?(plainJSON json: JSONValue) {
            var idTag: IdToken?
            guard json.readPlainly({ name, value in name != "idTag" || value.plain(into: &idTag) }), let idTag else { return nil }
            self.init(idTag: idTag)
        }
    }

    public struct Response: OCPPPayload {
        public var idTagInfo: IdTagInfo

        public init(idTagInfo: IdTagInfo) { self.idTagInfo = idTagInfo }

        public func writePlainJSON(_ writer: inout PlainJSONWriter) -> Bool {
            writer.beginObject()
            writer.key("idTagInfo")
            idTagInfo.writePlainJSON(&writer)
            writer.endObject()
            return true
        }
    }
}
