/// The CALLERROR codes of OCPP-J 1.6 (section 4.2.3), spelled as the specification spells them.
public enum OCPPErrorCode: String, Sendable, Codable, CaseIterable {
    case notImplemented = "NotImplemented"
    case notSupported = "NotSupported"
    case internalError = "InternalError"
    case protocolError = "ProtocolError"
    case securityError = "SecurityError"
    case formationViolation = "FormationViolation"
    case propertyConstraintViolation = "PropertyConstraintViolation"
    case occurenceConstraintViolation = "OccurenceConstraintViolation"
    case typeConstraintViolation = "TypeConstraintViolation"
    case genericError = "GenericError"
}

/// An error to answer with a CALLERROR; `messageId` is nil when the frame was too broken to have one.
public struct OCPPError: Error, Sendable, Equatable {
    public var code: OCPPErrorCode
    public var description: String
    public var details: JSONValue

    public init(_ code: OCPPErrorCode, _ description: String, details: JSONValue = .object([:])) {
        self.code = code
        self.description = description
        self.details = details
    }

    /// Maps a payload decoding failure to the code the specification gives for it.
    public init(payloadError error: any Error) {
        if let error = error as? UnknownMemberError {
            self.init(.formationViolation, error.description, details: .object(["field": .string(error.field)]))
            return
        }
        guard let error = error as? DecodingError else {
            self.init(.formationViolation, "\(error)")
            return
        }
        let field = error.fieldPath
        let text = field.isEmpty ? error.reason : "\(field): \(error.reason)"
        var details: JSONObject = [:]
        if !field.isEmpty { details["field"] = .string(field) }
        switch error {
        case .keyNotFound, .valueNotFound:
            self.init(.occurenceConstraintViolation, text, details: .object(details))
        case .typeMismatch:
            self.init(.typeConstraintViolation, text, details: .object(details))
        default:
            self.init(.propertyConstraintViolation, text, details: .object(details))
        }
    }
}

/// One OCPP-J message.
public enum OCPPFrame: Sendable, Equatable {
    case call(id: String, action: String, payload: JSONValue)
    case callResult(id: String, payload: JSONValue)
    case callError(id: String, code: String, description: String, details: JSONValue)

    public static let maxMessageIdLength = 36

    public var messageId: String {
        switch self {
        case .call(let id, _, _), .callResult(let id, _), .callError(let id, _, _, _): id
        }
    }

    /// A frame that could not be read, with what to answer.
    public struct ParseError: Error, Sendable, Equatable {
        /// The message id if it could be read; a CALLERROR then carries it. Otherwise "-1".
        public var messageId: String?
        /// Whether the broken frame was a CALL: only CALLs get a CALLERROR back (answering a broken
        /// CALLRESULT with a CALLERROR would confuse the peer).
        public var wasCall: Bool
        public var error: OCPPError
    }

    /// Reads a frame from the text of a WebSocket message. Any input gives either a frame or a
    /// `ParseError`; nothing traps.
    public static func parse(_ bytes: some Sequence<UInt8>) throws(ParseError) -> OCPPFrame {
        let json: JSONValue
        do {
            json = try JSONParser.parse(bytes)
        } catch {
            throw ParseError(messageId: nil, wasCall: true, error: OCPPError(.formationViolation, "\(error)"))
        }
        guard case .array(let elements) = json, !elements.isEmpty else {
            throw ParseError(messageId: nil, wasCall: true, error: OCPPError(.formationViolation, "a message must be a JSON array"))
        }
        guard case .integer(let type) = elements[0] else {
            throw ParseError(messageId: nil, wasCall: true, error: OCPPError(.formationViolation, "MessageTypeId must be an integer"))
        }
        let id: String? =
            if elements.count > 1, case .string(let id) = elements[1], !id.isEmpty, id.unicodeScalars.count <= maxMessageIdLength {
                id
            } else { nil }
        func fail(_ code: OCPPErrorCode, _ text: String) -> ParseError {
            ParseError(messageId: id, wasCall: type != 3 && type != 4, error: OCPPError(code, text))
        }
        guard let id else {
            if elements.count > 1, case .string(let raw) = elements[1] {
                throw fail(
                    .formationViolation,
                    raw.isEmpty ? "UniqueId must not be empty" : "UniqueId longer than \(maxMessageIdLength) characters")
            }
            throw fail(.formationViolation, "UniqueId must be a string")
        }
        switch type {
        case 2:
            guard elements.count == 4 else { throw fail(.formationViolation, "a CALL has 4 elements, this one has \(elements.count)") }
            guard case .string(let action) = elements[2], !action.isEmpty else {
                throw fail(.formationViolation, "Action must be a string")
            }
            guard case .object = elements[3] else { throw fail(.formationViolation, "the payload of a CALL must be a JSON object") }
            return .call(id: id, action: action, payload: elements[3])
        case 3:
            guard elements.count == 3 else {
                throw fail(.formationViolation, "a CALLRESULT has 3 elements, this one has \(elements.count)")
            }
            guard case .object = elements[2] else { throw fail(.formationViolation, "the payload of a CALLRESULT must be a JSON object") }
            return .callResult(id: id, payload: elements[2])
        case 4:
            guard elements.count == 5 || elements.count == 4 else {
                throw fail(.formationViolation, "a CALLERROR has 5 elements, this one has \(elements.count)")
            }
            guard case .string(let code) = elements[2] else { throw fail(.formationViolation, "ErrorCode must be a string") }
            let description = elements[3].stringValue ?? ""
            return .callError(id: id, code: code, description: description, details: elements.count == 5 ? elements[4] : .object([:]))
        default:
            throw fail(.protocolError, "unknown MessageTypeId \(type)")
        }
    }

    /// The compact JSON text of this frame.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(128)
        switch self {
        case .call(let id, let action, let payload):
            out.append(contentsOf: "[2,".utf8)
            JSONValue.writeString(id, to: &out)
            out.append(UInt8(ascii: ","))
            JSONValue.writeString(action, to: &out)
            out.append(UInt8(ascii: ","))
            payload.write(to: &out)
        case .callResult(let id, let payload):
            out.append(contentsOf: "[3,".utf8)
            JSONValue.writeString(id, to: &out)
            out.append(UInt8(ascii: ","))
            payload.write(to: &out)
        case .callError(let id, let code, let description, let details):
            out.append(contentsOf: "[4,".utf8)
            JSONValue.writeString(id, to: &out)
            out.append(UInt8(ascii: ","))
            JSONValue.writeString(code, to: &out)
            out.append(UInt8(ascii: ","))
            JSONValue.writeString(description, to: &out)
            out.append(UInt8(ascii: ","))
            details.write(to: &out)
        }
        out.append(UInt8(ascii: "]"))
        return out
    }

    public static func callError(id: String, _ error: OCPPError) -> OCPPFrame {
        .callError(id: id, code: error.code.rawValue, description: error.description, details: error.details)
    }
}
