/// Who may send a CALL of an action.
public enum OCPPSender: Sendable {
    case chargePoint
    case centralSystem
    /// DataTransfer goes both ways.
    case either
}

/// The OCPP 1.6 feature profiles, as the specification groups the actions.
public enum FeatureProfile: String, Sendable, CaseIterable {
    case core = "Core"
    case firmwareManagement = "FirmwareManagement"
    case localAuthListManagement = "LocalAuthListManagement"
    case reservation = "Reservation"
    case smartCharging = "SmartCharging"
    case remoteTrigger = "RemoteTrigger"
}

/// A request or response payload. Decoding it validates it by the OCPP 1.6 JSON schema's rules
/// (required fields, types, enums, CiString lengths, date-times); `validate()` adds the rules that
/// span several fields or bound numbers.
public protocol OCPPPayload: Codable, Sendable, Equatable {
    /// Checks constraints that decoding alone cannot express. Throws `DecodingError`.
    func validate() throws
}

extension OCPPPayload {
    public func validate() throws {}
}

/// One OCPP action: its name ties a request type to its response type, so that the compiler checks
/// every pairing of a handler or a command.
public protocol OCPPAction: Sendable {
    associatedtype Request: OCPPRequest where Request.Action == Self
    associatedtype Response: OCPPPayload
    /// The action name in the CALL, e.g. `BootNotification`.
    static var name: String { get }
    static var sender: OCPPSender { get }
    static var profile: FeatureProfile { get }
}

/// A request payload, which knows its action (and so its response).
public protocol OCPPRequest: OCPPPayload {
    associatedtype Action: OCPPAction where Action.Request == Self
}

extension OCPPPayload {
    /// Decodes and validates a payload from the JSON a peer sent.
    public static func decode(from json: JSONValue) throws -> Self {
        let payload = try JSONValueDecoder.decode(Self.self, from: json)
        try payload.validate()
        return payload
    }
}

/// Raises a field error from `validate()`, so that it maps to PropertyConstraintViolation and names the field.
public func constraintViolation(_ field: String, _ message: String) -> DecodingError {
    DecodingError.dataCorrupted(.init(codingPath: field.split(separator: ".").map { AnyCodingKey(String($0)) }, debugDescription: message))
}
