import Foundation

/// Heartbeat: a charge point shows it is alive and learns the central system's time.
public enum Heartbeat: OCPPAction {
    public static let name = "Heartbeat"
    public static let sender = OCPPSender.chargePoint
    public static let profile = FeatureProfile.core

    public struct Request: OCPPRequest {
        public typealias Action = Heartbeat

        public init() {}

        public init?(plainJSON json: JSONValue) {
            guard json.readPlainly({ _, _ in true }) else { return nil }
        }
    }

    public struct Response: OCPPPayload {
        public var currentTime: Date

        public init(currentTime: Date) { self.currentTime = currentTime }

        public func writePlainJSON(_ writer: inout PlainJSONWriter) -> Bool {
            writer.beginObject()
            writer.key("currentTime")
            writer.date(currentTime)
            writer.endObject()
            return true
        }
    }
}
