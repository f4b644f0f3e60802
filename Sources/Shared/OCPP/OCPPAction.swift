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
    /// The white paper "Improved security for OCPP 1.6-J" (edition 3): certificates, security events, signed firmware, logs.
    case security = "Security"
}

/// A request or response payload. Decoding it validates it by the OCPP 1.6 JSON schema's rules
/// (required fields, types, enums, CiString lengths, date-times); `validate()` adds the rules that
/// span several fields or bound numbers.
public protocol OCPPPayload: Codable, Sendable, Equatable {
    /// Checks constraints that decoding alone cannot express. Throws `DecodingError`.
    func validate() throws
    /// The payload read straight from the parsed JSON, without Codable's containers, for the messages every charging
    /// session repeats; nil for anything that is not plainly well-formed (a wrong type, a null where a value must be,
    /// an unknown enum value, an integer written as 1.0 ...), which `decode(from:)` then takes through
    /// `JSONValueDecoder`, so that a refusal is named as always. Whatever it returns, the decoder returns too
    /// (OCPPModelTests and the FuzzFrame target check the two agree). Most payloads have none.
    init?(plainJSON json: JSONValue)
    /// The payload written straight as JSON, for the answers every charging session repeats: the bytes
    /// `JSONCoding.encode` writes (members in its order, keys in byte order, nil ones left out), without building a
    /// value tree through Codable's containers. False, having written nothing, for a payload without such a writer
    /// (most payloads); `encoded()` then takes the encoder. OCPPModelTests checks the two write the same bytes.
    func writePlainJSON(_ writer: inout PlainJSONWriter) -> Bool
}

extension OCPPPayload {
    public func validate() throws {}
    public init?(plainJSON json: JSONValue) { nil }
    public func writePlainJSON(_ writer: inout PlainJSONWriter) -> Bool { false }

    /// The payload as compact JSON, as `JSONCoding.encode` writes it.
    @inlinable
    public func encoded() throws -> [UInt8] {
        var writer = PlainJSONWriter()
        if writePlainJSON(&writer) { return writer.bytes }
        return try JSONCoding.encode(self)
    }
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
    /// Decodes and validates a payload from the JSON a peer sent. Inlinable so that it is specialized for each payload
    /// in ocppd: unspecialized, it looked up `Optional<Self>`'s metadata at run time, ~1,500 instructions a message.
    @inlinable
    public static func decode(from json: JSONValue) throws -> Self {
        let payload = try Self(plainJSON: json) ?? JSONValueDecoder.decode(Self.self, from: json)
        try payload.validate()
        return payload
    }
}

extension OCPPPayload {
    /// Decodes like `decode(from:)` and also refuses members that the schema does not name (every OCPP 1.6 schema sets
    /// `additionalProperties: false`). What ocppd sends is held to this, so that a charger never refuses it for an
    /// extra field; what it receives is not (see the README: vendors add fields, and a refused StartTransaction could
    /// lose a session).
    public static func decodeExactly(from json: JSONValue) throws -> Self {
        let payload = try decode(from: json)
        // The samples of every action survive re-encoding whole (OCPPModelTests), so what re-encoding drops was not
        // a member of the schema.
        if let field = json.firstMember(missingFrom: try JSONCoding.jsonValue(payload)) {
            throw UnknownMemberError(field: field)
        }
        return payload
    }
}

/// A payload member that the action's schema does not have.
public struct UnknownMemberError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Its path, as `OCPPError` names fields: `meterValue[0].extra`.
    public let field: String

    public var description: String { "\(field): not a member of the OCPP 1.6 schema (additional properties are not allowed)" }
}

extension JSONValue {
    /// This value without its null members, at every depth: to a REST client null says "absent", while to a charger it
    /// is a value of the wrong type (no OCPP 1.6 schema allows null).
    public func removingNullMembers() -> JSONValue {
        switch self {
        case .object(let object):
            .object(JSONObject(object.members.compactMap { $0.value == .null ? nil : ($0.key, $0.value.removingNullMembers()) }))
        case .array(let elements):
            .array(elements.map { $0.removingNullMembers() })
        default:
            self
        }
    }

    /// The path of the first member of this value (depth first) that `other` lacks, nulls aside.
    fileprivate func firstMember(missingFrom other: JSONValue, path: String = "") -> String? {
        switch (self, other) {
        case (.object(let object), .object(let otherObject)):
            for (key, value) in object.members where value != .null {
                let memberPath = path.isEmpty ? key : "\(path).\(key)"
                guard let otherValue = otherObject[key] else { return memberPath }
                if let found = value.firstMember(missingFrom: otherValue, path: memberPath) { return found }
            }
        case (.array(let elements), .array(let otherElements)):
            for (index, (element, otherElement)) in zip(elements, otherElements).enumerated() {
                if let found = element.firstMember(missingFrom: otherElement, path: "\(path)[\(index)]") { return found }
            }
        default:
            break
        }
        return nil
    }
}

/// The specification's bounds on a connector id, which the schemas leave out: connectors are numbered from 1, 0 stands
/// for the whole charge point where the action allows it, and no id is negative.
public func checkConnectorId(_ id: Int?, allowsZero: Bool, field: String = "connectorId") throws {
    guard let id, id < (allowsZero ? 0 : 1) else { return }
    throw constraintViolation(
        field, allowsZero ? "must be 0 (the charge point) or a connector number" : "must be a connector number (1 or more)")
}

/// Raises a field error from `validate()`, so that it maps to PropertyConstraintViolation and names the field.
public func constraintViolation(_ field: String, _ message: String) -> DecodingError {
    DecodingError.dataCorrupted(.init(codingPath: field.split(separator: ".").map { AnyCodingKey(String($0)) }, debugDescription: message))
}
