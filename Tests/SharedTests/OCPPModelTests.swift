import Foundation
import Shared
import Testing

// The samples below carry every field their schema defines, so that a field missing from the model, or
// modelled with the wrong name, type, optionality or length, fails a test.

/// A sample payload and what its schema says about its fields. Paths write array indices as `[]`.
struct PayloadSpec: Sendable {
    var json: String
    var required: Set<String> = []
    /// Strings whose content is constrained beyond length: enumerations, date-times, URIs.
    var checked: Set<String> = []
    var maxLength: [String: Int] = [:]
}

struct ActionSpec: Sendable {
    var request: PayloadSpec
    var response: PayloadSpec
}

enum Side: String, Sendable, CaseIterable {
    case request, response
}

private func idTagInfoSpec(_ p: String, required: Bool) -> (required: Set<String>, checked: Set<String>, maxLength: [String: Int]) {
    (required ? [p, "\(p).status"] : ["\(p).status"], ["\(p).status", "\(p).expiryDate"], ["\(p).parentIdTag": 20])
}

private let idTagInfoJSON = #"{"status":"Accepted","expiryDate":"2024-06-01T00:00:00Z","parentIdTag":"PARENT-1"}"#

private let sampledValuesJSON = #"""
    [{"value":"1234.5","context":"Sample.Periodic","format":"Raw","measurand":"Energy.Active.Import.Register","phase":"L1-N",
    "location":"Outlet","unit":"kWh"},{"value":"21.5","context":"Trigger","measurand":"Temperature","location":"Body","unit":"Celsius"}]
    """#

private func meterValueSpec(_ p: String) -> (required: Set<String>, checked: Set<String>) {
    let s = "\(p).sampledValue[]"
    return (
        ["\(p).timestamp", "\(p).sampledValue", "\(s).value"],
        ["\(p).timestamp", "\(s).context", "\(s).format", "\(s).measurand", "\(s).phase", "\(s).location", "\(s).unit"]
    )
}

private let scheduleJSON = #"""
    {"duration":86400,"startSchedule":"2024-05-01T00:00:00Z","chargingRateUnit":"A",
    "chargingSchedulePeriod":[{"startPeriod":0,"limit":16.0,"numberPhases":3},{"startPeriod":3600,"limit":6.3}],"minChargingRate":6.1}
    """#

private let profileJSON = #"""
    {"chargingProfileId":3,"transactionId":42,"stackLevel":1,"chargingProfilePurpose":"TxProfile","chargingProfileKind":"Recurring",
    "recurrencyKind":"Daily","validFrom":"2024-05-01T00:00:00Z","validTo":"2024-12-31T23:59:59Z","chargingSchedule":\#(scheduleJSON)}
    """#

private func scheduleSpec(_ p: String) -> (required: Set<String>, checked: Set<String>) {
    (
        [
            "\(p).chargingRateUnit", "\(p).chargingSchedulePeriod", "\(p).chargingSchedulePeriod[].startPeriod",
            "\(p).chargingSchedulePeriod[].limit",
        ],
        ["\(p).startSchedule", "\(p).chargingRateUnit"]
    )
}

private func profileSpec(_ p: String) -> (required: Set<String>, checked: Set<String>) {
    let schedule = scheduleSpec("\(p).chargingSchedule")
    return (
        Set([
            "\(p).chargingProfileId", "\(p).stackLevel", "\(p).chargingProfilePurpose", "\(p).chargingProfileKind", "\(p).chargingSchedule",
        ])
        .union(schedule.required),
        Set(["\(p).chargingProfilePurpose", "\(p).chargingProfileKind", "\(p).recurrencyKind", "\(p).validFrom", "\(p).validTo"])
            .union(schedule.checked)
    )
}

private let specs: [String: ActionSpec] = {
    let authorizeInfo = idTagInfoSpec("idTagInfo", required: true)
    let stopInfo = idTagInfoSpec("idTagInfo", required: false)
    let listInfo = idTagInfoSpec("localAuthorizationList[].idTagInfo", required: false)
    let meterValue = meterValueSpec("meterValue[]")
    let transactionData = meterValueSpec("transactionData[]")
    let remoteProfile = profileSpec("chargingProfile")
    let setProfile = profileSpec("csChargingProfiles")
    let compositeSchedule = scheduleSpec("chargingSchedule")
    return [
        // Core
        "Authorize": ActionSpec(
            request: PayloadSpec(json: #"{"idTag":"04A2B3C4D5E6F7"}"#, required: ["idTag"], maxLength: ["idTag": 20]),
            response: PayloadSpec(
                json: #"{"idTagInfo":\#(idTagInfoJSON)}"#, required: authorizeInfo.required, checked: authorizeInfo.checked,
                maxLength: authorizeInfo.maxLength)
        ),
        "BootNotification": ActionSpec(
            request: PayloadSpec(
                json: #"""
                    {"chargePointVendor":"Vendor","chargePointModel":"Model","chargePointSerialNumber":"CP-1",
                    "chargeBoxSerialNumber":"CB-1","firmwareVersion":"1.2.3","iccid":"8931","imsi":"2620","meterType":"Meter",
                    "meterSerialNumber":"M-1"}
                    """#,
                required: ["chargePointVendor", "chargePointModel"],
                maxLength: [
                    "chargePointVendor": 20, "chargePointModel": 20, "chargePointSerialNumber": 25, "chargeBoxSerialNumber": 25,
                    "firmwareVersion": 50, "iccid": 20, "imsi": 20, "meterType": 25, "meterSerialNumber": 25,
                ]),
            response: PayloadSpec(
                json: #"{"status":"Accepted","currentTime":"2024-05-01T12:00:00Z","interval":300}"#,
                required: ["status", "currentTime", "interval"], checked: ["status", "currentTime"])
        ),
        "ChangeAvailability": ActionSpec(
            request: PayloadSpec(json: #"{"connectorId":1,"type":"Inoperative"}"#, required: ["connectorId", "type"], checked: ["type"]),
            response: PayloadSpec(json: #"{"status":"Scheduled"}"#, required: ["status"], checked: ["status"])
        ),
        "ChangeConfiguration": ActionSpec(
            request: PayloadSpec(
                json: #"{"key":"HeartbeatInterval","value":"300"}"#, required: ["key", "value"], maxLength: ["key": 50, "value": 500]),
            response: PayloadSpec(json: #"{"status":"RebootRequired"}"#, required: ["status"], checked: ["status"])
        ),
        "ClearCache": ActionSpec(
            request: PayloadSpec(json: "{}"),
            response: PayloadSpec(json: #"{"status":"Accepted"}"#, required: ["status"], checked: ["status"])
        ),
        "DataTransfer": ActionSpec(
            request: PayloadSpec(
                json: #"{"vendorId":"com.example","messageId":"GetPrice","data":"{\"tariff\":1}"}"#, required: ["vendorId"],
                maxLength: ["vendorId": 255, "messageId": 50]),
            response: PayloadSpec(json: #"{"status":"UnknownMessageId","data":"none"}"#, required: ["status"], checked: ["status"])
        ),
        "GetConfiguration": ActionSpec(
            request: PayloadSpec(json: #"{"key":["HeartbeatInterval","NoSuchKey"]}"#, maxLength: ["key[]": 50]),
            response: PayloadSpec(
                json: #"""
                    {"configurationKey":[{"key":"HeartbeatInterval","readonly":false,"value":"300"},{"key":"ChargeProfileMaxStackLevel",
                    "readonly":true}],"unknownKey":["NoSuchKey"]}
                    """#,
                required: ["configurationKey[].key", "configurationKey[].readonly"],
                maxLength: ["configurationKey[].key": 50, "configurationKey[].value": 500, "unknownKey[]": 50])
        ),
        "Heartbeat": ActionSpec(
            request: PayloadSpec(json: "{}"),
            response: PayloadSpec(json: #"{"currentTime":"2024-05-01T12:00:00.500Z"}"#, required: ["currentTime"], checked: ["currentTime"])
        ),
        "MeterValues": ActionSpec(
            request: PayloadSpec(
                json: #"""
                    {"connectorId":1,"transactionId":42,"meterValue":[{"timestamp":"2024-05-01T14:00:00+02:00",
                    "sampledValue":\#(sampledValuesJSON)}]}
                    """#,
                required: Set<String>(["connectorId", "meterValue"]).union(meterValue.required), checked: meterValue.checked),
            response: PayloadSpec(json: "{}")
        ),
        "RemoteStartTransaction": ActionSpec(
            request: PayloadSpec(
                json: #"{"connectorId":1,"idTag":"TAG-1","chargingProfile":\#(profileJSON)}"#,
                required: Set<String>(["idTag"]).union(remoteProfile.required), checked: remoteProfile.checked, maxLength: ["idTag": 20]),
            response: PayloadSpec(json: #"{"status":"Accepted"}"#, required: ["status"], checked: ["status"])
        ),
        "RemoteStopTransaction": ActionSpec(
            request: PayloadSpec(json: #"{"transactionId":42}"#, required: ["transactionId"]),
            response: PayloadSpec(json: #"{"status":"Rejected"}"#, required: ["status"], checked: ["status"])
        ),
        "Reset": ActionSpec(
            request: PayloadSpec(json: #"{"type":"Soft"}"#, required: ["type"], checked: ["type"]),
            response: PayloadSpec(json: #"{"status":"Accepted"}"#, required: ["status"], checked: ["status"])
        ),
        "StartTransaction": ActionSpec(
            request: PayloadSpec(
                json: #"{"connectorId":1,"idTag":"TAG-1","meterStart":1000,"reservationId":7,"timestamp":"2024-05-01T12:00:00Z"}"#,
                required: ["connectorId", "idTag", "meterStart", "timestamp"], checked: ["timestamp"], maxLength: ["idTag": 20]),
            response: PayloadSpec(
                json: #"{"idTagInfo":\#(idTagInfoJSON),"transactionId":42}"#, required: authorizeInfo.required.union(["transactionId"]),
                checked: authorizeInfo.checked, maxLength: authorizeInfo.maxLength)
        ),
        "StatusNotification": ActionSpec(
            request: PayloadSpec(
                json: #"""
                    {"connectorId":1,"errorCode":"OverCurrentFailure","info":"breaker","status":"Faulted","timestamp":"2024-05-01T12:00:00Z",
                    "vendorId":"com.example","vendorErrorCode":"E42"}
                    """#,
                required: ["connectorId", "errorCode", "status"], checked: ["errorCode", "status", "timestamp"],
                maxLength: ["info": 50, "vendorId": 255, "vendorErrorCode": 50]),
            response: PayloadSpec(json: "{}")
        ),
        "StopTransaction": ActionSpec(
            request: PayloadSpec(
                json: #"""
                    {"idTag":"TAG-1","meterStop":2000,"timestamp":"2024-05-01T13:00:00Z","transactionId":42,"reason":"EVDisconnected",
                    "transactionData":[{"timestamp":"2024-05-01T13:00:00Z","sampledValue":\#(sampledValuesJSON)}]}
                    """#,
                required: Set<String>(["meterStop", "timestamp", "transactionId"]).union(transactionData.required),
                checked: Set<String>(["timestamp", "reason"]).union(transactionData.checked), maxLength: ["idTag": 20]),
            response: PayloadSpec(
                json: #"{"idTagInfo":\#(idTagInfoJSON)}"#, required: stopInfo.required, checked: stopInfo.checked,
                maxLength: stopInfo.maxLength)
        ),
        "UnlockConnector": ActionSpec(
            request: PayloadSpec(json: #"{"connectorId":1}"#, required: ["connectorId"]),
            response: PayloadSpec(json: #"{"status":"UnlockFailed"}"#, required: ["status"], checked: ["status"])
        ),
        // FirmwareManagement
        "DiagnosticsStatusNotification": ActionSpec(
            request: PayloadSpec(json: #"{"status":"UploadFailed"}"#, required: ["status"], checked: ["status"]),
            response: PayloadSpec(json: "{}")
        ),
        "FirmwareStatusNotification": ActionSpec(
            request: PayloadSpec(json: #"{"status":"InstallationFailed"}"#, required: ["status"], checked: ["status"]),
            response: PayloadSpec(json: "{}")
        ),
        "GetDiagnostics": ActionSpec(
            request: PayloadSpec(
                json: #"""
                    {"location":"ftp://user:secret@diag.example.com/uploads/","retries":3,"retryInterval":60,
                    "startTime":"2024-05-01T00:00:00Z","stopTime":"2024-05-02T00:00:00Z"}
                    """#,
                required: ["location"], checked: ["location", "startTime", "stopTime"]),
            response: PayloadSpec(json: #"{"fileName":"diagnostics-2024-05-01.zip"}"#, maxLength: ["fileName": 255])
        ),
        "UpdateFirmware": ActionSpec(
            request: PayloadSpec(
                json:
                    #"{"location":"https://fw.example.com/cp-1.2.bin","retries":2,"retrieveDate":"2024-05-01T02:00:00Z","retryInterval":300}"#,
                required: ["location", "retrieveDate"], checked: ["location", "retrieveDate"]),
            response: PayloadSpec(json: "{}")
        ),
        // LocalAuthListManagement
        "GetLocalListVersion": ActionSpec(
            request: PayloadSpec(json: "{}"),
            response: PayloadSpec(json: #"{"listVersion":5}"#, required: ["listVersion"])
        ),
        "SendLocalList": ActionSpec(
            request: PayloadSpec(
                json: #"""
                    {"listVersion":6,"localAuthorizationList":[{"idTag":"TAG-1","idTagInfo":\#(idTagInfoJSON)},{"idTag":"TAG-2"}],
                    "updateType":"Differential"}
                    """#,
                required: Set<String>(["listVersion", "updateType", "localAuthorizationList[].idTag"]).union(listInfo.required),
                checked: Set<String>(["updateType"]).union(listInfo.checked),
                maxLength: listInfo.maxLength.merging(["localAuthorizationList[].idTag": 20]) { $1 }),
            response: PayloadSpec(json: #"{"status":"VersionMismatch"}"#, required: ["status"], checked: ["status"])
        ),
        // Reservation
        "CancelReservation": ActionSpec(
            request: PayloadSpec(json: #"{"reservationId":7}"#, required: ["reservationId"]),
            response: PayloadSpec(json: #"{"status":"Rejected"}"#, required: ["status"], checked: ["status"])
        ),
        "ReserveNow": ActionSpec(
            request: PayloadSpec(
                json: #"{"connectorId":0,"expiryDate":"2024-05-01T13:00:00Z","idTag":"TAG-1","parentIdTag":"PARENT-1","reservationId":7}"#,
                required: ["connectorId", "expiryDate", "idTag", "reservationId"], checked: ["expiryDate"],
                maxLength: ["idTag": 20, "parentIdTag": 20]),
            response: PayloadSpec(json: #"{"status":"Occupied"}"#, required: ["status"], checked: ["status"])
        ),
        // SmartCharging
        "ClearChargingProfile": ActionSpec(
            request: PayloadSpec(
                json: #"{"id":3,"connectorId":1,"chargingProfilePurpose":"TxDefaultProfile","stackLevel":2}"#,
                checked: ["chargingProfilePurpose"]),
            response: PayloadSpec(json: #"{"status":"Unknown"}"#, required: ["status"], checked: ["status"])
        ),
        "GetCompositeSchedule": ActionSpec(
            request: PayloadSpec(
                json: #"{"connectorId":1,"duration":3600,"chargingRateUnit":"W"}"#, required: ["connectorId", "duration"],
                checked: ["chargingRateUnit"]),
            response: PayloadSpec(
                json: #"{"status":"Accepted","connectorId":1,"scheduleStart":"2024-05-01T12:00:00Z","chargingSchedule":\#(scheduleJSON)}"#,
                required: Set<String>(["status"]).union(compositeSchedule.required),
                checked: Set<String>(["status", "scheduleStart"]).union(compositeSchedule.checked))
        ),
        "SetChargingProfile": ActionSpec(
            request: PayloadSpec(
                json: #"{"connectorId":1,"csChargingProfiles":\#(profileJSON)}"#,
                required: Set<String>(["connectorId", "csChargingProfiles"]).union(setProfile.required), checked: setProfile.checked),
            response: PayloadSpec(json: #"{"status":"NotSupported"}"#, required: ["status"], checked: ["status"])
        ),
        // RemoteTrigger
        "TriggerMessage": ActionSpec(
            request: PayloadSpec(
                json: #"{"requestedMessage":"StatusNotification","connectorId":2}"#, required: ["requestedMessage"],
                checked: ["requestedMessage"]),
            response: PayloadSpec(json: #"{"status":"NotImplemented"}"#, required: ["status"], checked: ["status"])
        ),
        // Security (white paper edition 3)
        "CertificateSigned": ActionSpec(
            request: PayloadSpec(
                json: #"{"certificateChain":"\#(pem)"}"#, required: ["certificateChain"], maxLength: ["certificateChain": 10000]),
            response: PayloadSpec(json: #"{"status":"Rejected"}"#, required: ["status"], checked: ["status"])
        ),
        "DeleteCertificate": ActionSpec(
            request: PayloadSpec(
                json: #"{"certificateHashData":\#(hashJSON)}"#,
                required: Set(["certificateHashData"]).union(hashData("certificateHashData").required),
                checked: hashData("certificateHashData").checked, maxLength: hashData("certificateHashData").maxLength),
            response: PayloadSpec(json: #"{"status":"NotFound"}"#, required: ["status"], checked: ["status"])
        ),
        "ExtendedTriggerMessage": ActionSpec(
            request: PayloadSpec(
                json: #"{"requestedMessage":"SignChargePointCertificate","connectorId":1}"#, required: ["requestedMessage"],
                checked: ["requestedMessage"]),
            response: PayloadSpec(json: #"{"status":"Rejected"}"#, required: ["status"], checked: ["status"])
        ),
        "GetInstalledCertificateIds": ActionSpec(
            request: PayloadSpec(
                json: #"{"certificateType":"ManufacturerRootCertificate"}"#, required: ["certificateType"], checked: ["certificateType"]),
            response: PayloadSpec(
                json: #"{"status":"Accepted","certificateHashData":[\#(hashJSON)]}"#,
                required: Set(["status"]).union(hashData("certificateHashData[]").required),
                checked: Set(["status"]).union(hashData("certificateHashData[]").checked),
                maxLength: hashData("certificateHashData[]").maxLength)
        ),
        "GetLog": ActionSpec(
            request: PayloadSpec(
                json: #"""
                    {"log":{"remoteLocation":"https://logs.example.com/upload","oldestTimestamp":"2024-05-01T00:00:00Z",
                    "latestTimestamp":"2024-05-02T00:00:00Z"},"logType":"SecurityLog","requestId":12,"retries":2,"retryInterval":30}
                    """#,
                required: ["log", "log.remoteLocation", "logType", "requestId"],
                checked: ["logType", "log.oldestTimestamp", "log.latestTimestamp"], maxLength: ["log.remoteLocation": 512]),
            response: PayloadSpec(
                json: #"{"status":"AcceptedCanceled","filename":"security-log.txt"}"#, required: ["status"], checked: ["status"],
                maxLength: ["filename": 255])
        ),
        "InstallCertificate": ActionSpec(
            request: PayloadSpec(
                json: #"{"certificateType":"CentralSystemRootCertificate","certificate":"\#(pem)"}"#,
                required: ["certificateType", "certificate"], checked: ["certificateType"], maxLength: ["certificate": 5500]),
            response: PayloadSpec(json: #"{"status":"Failed"}"#, required: ["status"], checked: ["status"])
        ),
        "LogStatusNotification": ActionSpec(
            request: PayloadSpec(json: #"{"status":"UploadFailure","requestId":12}"#, required: ["status"], checked: ["status"]),
            response: PayloadSpec(json: "{}")
        ),
        "SecurityEventNotification": ActionSpec(
            request: PayloadSpec(
                json: #"{"type":"TamperDetectionActivated","timestamp":"2024-05-01T12:00:00Z","techInfo":"lid opened"}"#,
                required: ["type", "timestamp"], checked: ["timestamp"], maxLength: ["type": 50, "techInfo": 255]),
            response: PayloadSpec(json: "{}")
        ),
        "SignCertificate": ActionSpec(
            request: PayloadSpec(json: #"{"csr":"\#(pem)"}"#, required: ["csr"], maxLength: ["csr": 5500]),
            response: PayloadSpec(json: #"{"status":"Accepted"}"#, required: ["status"], checked: ["status"])
        ),
        "SignedFirmwareStatusNotification": ActionSpec(
            request: PayloadSpec(json: #"{"status":"InvalidSignature","requestId":9}"#, required: ["status"], checked: ["status"]),
            response: PayloadSpec(json: "{}")
        ),
        "SignedUpdateFirmware": ActionSpec(
            request: PayloadSpec(
                json: #"""
                    {"retries":3,"retryInterval":60,"requestId":9,"firmware":{"location":"https://fw.example.com/cp-2.0.bin",
                    "retrieveDateTime":"2024-05-01T02:00:00Z","installDateTime":"2024-05-01T03:00:00Z","signingCertificate":"\#(pem)",
                    "signature":"c2lnbmF0dXJl"}}
                    """#,
                required: [
                    "requestId", "firmware", "firmware.location", "firmware.retrieveDateTime", "firmware.signingCertificate",
                    "firmware.signature",
                ],
                checked: ["firmware.retrieveDateTime", "firmware.installDateTime"],
                maxLength: ["firmware.location": 512, "firmware.signingCertificate": 5500, "firmware.signature": 800]),
            response: PayloadSpec(json: #"{"status":"RevokedCertificate"}"#, required: ["status"], checked: ["status"])
        ),
    ]
}()

/// A PEM text as JSON escapes it (the security samples' certificates, CSRs and chains: only their lengths are checked).
private let pem = #"-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ==\n-----END CERTIFICATE-----\n"#

private let hashJSON = #"{"hashAlgorithm":"SHA256","issuerNameHash":"a1b2","issuerKeyHash":"c3d4","serialNumber":"01AB"}"#

/// The schema's CertificateHashDataType under `p`.
private func hashData(_ p: String) -> (required: Set<String>, checked: Set<String>, maxLength: [String: Int]) {
    (
        ["\(p).hashAlgorithm", "\(p).issuerNameHash", "\(p).issuerKeyHash", "\(p).serialNumber"], ["\(p).hashAlgorithm"],
        ["\(p).issuerNameHash": 128, "\(p).issuerKeyHash": 128, "\(p).serialNumber": 40]
    )
}

// MARK: - Helpers

/// How decoding a payload ended, with the dotted path of the offending field.
enum Outcome: Equatable, CustomStringConvertible {
    case decoded
    case keyNotFound(String)
    case typeMismatch(String)
    case valueNotFound(String)
    case dataCorrupted(String)
    case other(String)

    var description: String {
        switch self {
        case .decoded: "decoded"
        case .keyNotFound(let path): "keyNotFound(\(path))"
        case .typeMismatch(let path): "typeMismatch(\(path))"
        case .valueNotFound(let path): "valueNotFound(\(path))"
        case .dataCorrupted(let path): "dataCorrupted(\(path))"
        case .other(let text): "other(\(text))"
        }
    }
}

private func decodeOutcome<A: OCPPAction>(_ action: A.Type, _ side: Side, _ json: JSONValue) -> Outcome {
    do {
        switch side {
        case .request: _ = try A.Request.decode(from: json)
        case .response: _ = try A.Response.decode(from: json)
        }
        return .decoded
    } catch let error as DecodingError {
        switch error {
        case .keyNotFound: return .keyNotFound(error.fieldPath)
        case .typeMismatch: return .typeMismatch(error.fieldPath)
        case .valueNotFound: return .valueNotFound(error.fieldPath)
        case .dataCorrupted: return .dataCorrupted(error.fieldPath)
        @unknown default: return .other("\(error)")
        }
    } catch {
        return .other("\(error)")
    }
}

private func outcome(_ name: String, _ side: Side, _ json: JSONValue) -> Outcome {
    guard let action = OCPPActions.named(name) else { return .other("no action \(name)") }
    return decodeOutcome(action, side, json)
}

/// nil when `json` decodes exactly, else the field of the unknown member (or the other error's text).
private func exactOutcome(_ action: any OCPPAction.Type, _ side: Side, _ json: JSONValue) -> String? {
    func check<A: OCPPAction>(_ action: A.Type) -> String? {
        do {
            if side == .request { _ = try A.Request.decodeExactly(from: json) } else { _ = try A.Response.decodeExactly(from: json) }
            return nil
        } catch let error as UnknownMemberError {
            return error.field
        } catch {
            return "\(error)"
        }
    }
    return check(action)
}

private func outcome<P: OCPPPayload>(_ type: P.Type, _ text: String) throws -> Outcome {
    let json = try JSONParser.parse(text)
    do {
        _ = try P.decode(from: json)
        return .decoded
    } catch let error as DecodingError {
        switch error {
        case .keyNotFound: return .keyNotFound(error.fieldPath)
        case .typeMismatch: return .typeMismatch(error.fieldPath)
        case .valueNotFound: return .valueNotFound(error.fieldPath)
        case .dataCorrupted: return .dataCorrupted(error.fieldPath)
        @unknown default: return .other("\(error)")
        }
    }
}

enum Step: Hashable {
    case key(String)
    case index(Int)
}

/// `meterValue[0].timestamp`, as `DecodingError.fieldPath` spells it; with `wildcard`, `meterValue[].timestamp`.
private func pathText(_ path: [Step], wildcard: Bool = false) -> String {
    var text = ""
    for step in path {
        switch step {
        case .key(let key): text += text.isEmpty ? key : ".\(key)"
        case .index(let index): text += wildcard ? "[]" : "[\(index)]"
        }
    }
    return text
}

/// Every value below the root, with its path.
private func nodes(_ value: JSONValue, at path: [Step] = []) -> [(path: [Step], value: JSONValue)] {
    switch value {
    case .object(let object):
        object.members.flatMap { [(path + [.key($0.key)], $0.value)] + nodes($0.value, at: path + [.key($0.key)]) }
    case .array(let elements):
        elements.enumerated().flatMap { [(path + [.index($0.offset)], $0.element)] + nodes($0.element, at: path + [.index($0.offset)]) }
    default:
        []
    }
}

/// `value` with the node at `path` replaced, or removed when `replacement` is nil.
private func replacing(_ value: JSONValue, at path: ArraySlice<Step>, with replacement: JSONValue?) -> JSONValue {
    guard let step = path.first else { return replacement ?? .null }
    switch (step, value) {
    case (.key(let key), .object(var object)):
        let rest = path.dropFirst()
        if rest.isEmpty {
            object[key] = replacement
        } else if let child = object[key] {
            object[key] = replacing(child, at: rest, with: replacement)
        }
        return .object(object)
    case (.index(let index), .array(var elements)):
        elements[index] = replacing(elements[index], at: path.dropFirst(), with: replacement)
        return .array(elements)
    default:
        return value
    }
}

private func roundTrip<P: OCPPPayload>(_ type: P.Type, _ json: JSONValue) throws {
    let decoded = try P.decode(from: json)
    let encoded = try JSONCoding.encode(decoded)
    // Byte for byte what Foundation's encoder wrote when ocppd sent payloads with it.
    #expect(String(decoding: encoded, as: UTF8.self) == String(decoding: try foundationEncoder().encode(decoded), as: UTF8.self))
    let again = try JSONParser.parse(encoded)
    #expect(Set(nodes(again).map { pathText($0.path) }) == Set(nodes(json).map { pathText($0.path) }), "fields lost or added")
    #expect(try P.decode(from: again) == decoded)
}

private func roundTrip<A: OCPPAction>(_ action: A.Type, _ spec: ActionSpec) throws {
    try roundTrip(A.Request.self, JSONParser.parse(spec.request.json))
    try roundTrip(A.Response.self, JSONParser.parse(spec.response.json))
}

private let actionNames = OCPPActions.all.map { $0.name }

private func spec(_ name: String, _ side: Side) throws -> PayloadSpec {
    let spec = try #require(specs[name], "no sample for \(name)")
    return side == .request ? spec.request : spec.response
}

// MARK: - Every action, from its sample

@Suite struct OCPPModelTests {
    @Test func everyActionHasASample() {
        #expect(Set(specs.keys) == Set(actionNames))
    }

    @Test(arguments: actionNames)
    func sampleDecodesAndSurvivesReencoding(_ name: String) throws {
        let action = try #require(OCPPActions.named(name))
        let spec = try #require(specs[name])
        try roundTrip(action, spec)
    }

    @Test(arguments: actionNames, Side.allCases)
    func exactDecodingRefusesAMemberTheSchemaDoesNotHaveAnywhere(_ name: String, _ side: Side) throws {
        let action = try #require(OCPPActions.named(name))
        let json = try JSONParser.parse(spec(name, side).json)
        #expect(exactOutcome(action, side, json) == nil, "the sample itself")
        let objects = [(path: [Step](), value: json)] + nodes(json).filter { if case .object = $0.value { true } else { false } }
        for (path, value) in objects {
            guard case .object(var object) = value else { continue }
            object["vendorExtra"] = 1
            let extended = path.isEmpty ? .object(object) : replacing(json, at: path[...], with: .object(object))
            #expect(exactOutcome(action, side, extended) == pathText(path + [.key("vendorExtra")]), "\(name) \(side)")
            // Received payloads are not held to it (vendor fields): the lenient decoding takes it.
            #expect(outcome(name, side, extended) == .decoded, "\(name) \(side)")
        }
    }

    /// The plain-JSON reading of the messages every session repeats (`init(plainJSON:)`) takes only what the decoder
    /// takes, as the decoder takes it: every node of each sample replaced by values of every JSON type (nulls, integers
    /// written as 1.0, unknown enumeration values, strings over their length ...) or removed, and a member added.
    @Test(arguments: actionNames, Side.allCases)
    func plainReadingAgreesWithTheDecoder(_ name: String, _ side: Side) throws {
        let action = try #require(OCPPActions.named(name))
        let json = try JSONParser.parse(spec(name, side).json)
        let replacements: [JSONValue?] = [
            nil, .null, 1, -1, .number(1.0), .number(1.5), true, "", "x", "2024-06-01T00:00:00Z", "Sample.Periodic",
            .string(String(repeating: "A", count: 21)), [], [.null], [:],
        ]
        var variants = [json, .array([]), .null]
        for (path, _) in nodes(json) {
            variants += replacements.map { replacing(json, at: path[...], with: $0) }
        }
        if case .object(var object) = json {
            object["vendorExtra"] = 1
            variants.append(.object(object))
        }
        // A name given twice (the parser never makes one, code may): the last value is the one read.
        for (path, value) in [(path: [Step](), value: json)] + nodes(json) {
            guard case .object(let object) = value, let first = object.members.first else { continue }
            let empty = JSONValue.object(JSONObject())
            for (earlier, later) in [(first.value, JSONValue.null), (.null, first.value), (first.value, empty), (empty, first.value)] {
                let twice = JSONObject(
                    [(key: first.key, value: earlier)] + object.members.dropFirst() + [(key: first.key, value: later)])
                variants.append(path.isEmpty ? .object(twice) : replacing(json, at: path[...], with: .object(twice)))
            }
        }
        func agrees<P: OCPPPayload>(_ type: P.Type) -> Int {
            var plainlyRead = 0
            for variant in variants {
                let decoded = try? JSONValueDecoder.decode(P.self, from: variant)
                guard let plain = P(plainJSON: variant) else { continue }
                plainlyRead += 1
                // Compared as encoded too: a CiString's == ignores case, the text it carries must not change.
                #expect(decoded == plain, "\(name) \(side): \(variant.jsonText)")
                #expect(decoded.flatMap { try? JSONCoding.encode($0) } == (try? JSONCoding.encode(plain)), "\(name) \(side)")
            }
            return plainlyRead
        }
        func plainlyRead<A: OCPPAction>(_ action: A.Type) -> Int {
            side == .request ? agrees(A.Request.self) : agrees(A.Response.self)
        }
        // The messages of the session mix are read plainly when they are plain: the sample itself and some variants.
        func sampleIsReadPlainly<A: OCPPAction>(_ action: A.Type) -> Bool { A.Request(plainJSON: json) != nil }
        let read = plainlyRead(action)
        let sampleRead = side == .request && sampleIsReadPlainly(action)
        let plainActions: Set<String> = ["Authorize", "Heartbeat", "MeterValues", "StartTransaction", "StopTransaction"]
        if side == .request && plainActions.contains(name) {
            #expect(sampleRead)
            #expect(read > 1)
        } else {
            #expect(read == 0, "\(name) \(side) has a plain reading: add it to the set above")
        }
    }

    /// The answers written straight as JSON (`writePlainJSON`) are the encoder's bytes exactly: every action's samples
    /// of both sides, and the written answers over their statuses, present and absent optionals, strings that need
    /// escaping, dates with and without fractions, and extreme integers. The answers of the session mix have a writer.
    @Test(arguments: actionNames, Side.allCases)
    func plainWritingAgreesWithTheEncoder(_ name: String, _ side: Side) throws {
        let action = try #require(OCPPActions.named(name))
        let sample = try JSONParser.parse(spec(name, side).json)
        func written<P: OCPPPayload>(_ payload: P) -> [UInt8]? {
            var writer = PlainJSONWriter()
            return payload.writePlainJSON(&writer) ? writer.bytes : nil
        }
        func agrees<P: OCPPPayload>(_ payloads: [P]) throws -> Bool {
            var wrote = false
            for payload in payloads {
                let encoded = String(decoding: try JSONCoding.encode(payload), as: UTF8.self)
                #expect(String(decoding: try payload.encoded(), as: UTF8.self) == encoded, "\(name) \(side)")
                guard let plain = written(payload) else { continue }
                wrote = true
                #expect(String(decoding: plain, as: UTF8.self) == encoded, "\(name) \(side)")
            }
            return wrote
        }
        let dates = [Date(timeIntervalSince1970: 1_717_200_000), Date(timeIntervalSince1970: 1_717_200_000.123)]
        let parents = try ["P", "q\"u\\o\u{1}t\u{7f}é"].map { try #require(IdToken($0)) }
        let infos = AuthorizationStatus.allCases.flatMap { status in
            [IdTagInfo(status: status)] + dates.map { IdTagInfo(status: status, expiryDate: $0) }
                + parents.map { IdTagInfo(status: status, expiryDate: dates[1], parentIdTag: $0) }
        }
        let integers = [0, 1, -5, 300, Int.max, Int.min]
        func wrote<A: OCPPAction>(_ action: A.Type) throws -> Bool {
            guard side == .response else { return try agrees([JSONValueDecoder.decode(A.Request.self, from: sample)]) }
            let values: [any OCPPPayload] =
                switch A.Response.self {
                case is Heartbeat.Response.Type: dates.map { Heartbeat.Response(currentTime: $0) }
                case is Authorize.Response.Type: infos.map { Authorize.Response(idTagInfo: $0) }
                case is StartTransaction.Response.Type:
                    infos.flatMap { info in integers.map { StartTransaction.Response(idTagInfo: info, transactionId: $0) } }
                case is StopTransaction.Response.Type: ([nil] + infos).map { StopTransaction.Response(idTagInfo: $0) }
                case is BootNotification.Response.Type:
                    RegistrationStatus.allCases.flatMap { status in
                        integers.map { BootNotification.Response(status: status, currentTime: dates[1], interval: $0) }
                    }
                default: []
                }
            let payloads = try [JSONValueDecoder.decode(A.Response.self, from: sample)] + values.map { try #require($0 as? A.Response) }
            return try agrees(payloads)
        }
        let writers: Set<String> = [
            "Authorize", "BootNotification", "Heartbeat", "MeterValues", "StartTransaction", "StatusNotification", "StopTransaction",
        ]
        let hasWriter = try wrote(action)
        #expect(hasWriter == (side == .response && writers.contains(name)), "\(name) \(side): plain writer or not, as listed")
    }

    /// The specification's connector numbers, which the schemas leave open: from 1, with 0 for the whole charge point
    /// where the action says so, never negative.
    @Test(arguments: [
        ("UnlockConnector", false), ("RemoteStartTransaction", false), ("TriggerMessage", false), ("ExtendedTriggerMessage", false),
        ("StartTransaction", true), ("StatusNotification", true), ("MeterValues", true), ("ChangeAvailability", true), ("ReserveNow", true),
        ("SetChargingProfile", true), ("GetCompositeSchedule", true),
    ])
    func connectorIdsAreNumberedFromOneOrZeroForTheChargePoint(_ name: String, _ allowsZero: Bool) throws {
        let json = try JSONParser.parse(spec(name, .request).json)
        let path: [Step] = [.key("connectorId")]
        #expect(outcome(name, .request, replacing(json, at: path[...], with: 1)) == .decoded, "\(name)")
        #expect(outcome(name, .request, replacing(json, at: path[...], with: -1)) == .dataCorrupted("connectorId"), "\(name)")
        let zero = outcome(name, .request, replacing(json, at: path[...], with: 0))
        #expect(zero == (allowsZero ? .decoded : .dataCorrupted("connectorId")), "\(name)")
    }

    @Test(arguments: actionNames, Side.allCases)
    func everyFieldRejectsAValueOfTheWrongType(_ name: String, _ side: Side) throws {
        let json = try JSONParser.parse(spec(name, side).json)
        for (path, value) in nodes(json) {
            let wrong: JSONValue =
                switch value {
                case .string: 1
                case .integer, .number: "1"
                case .bool: "true"
                case .null, .array, .object: "x"
                }
            #expect(outcome(name, side, replacing(json, at: path[...], with: wrong)) == .typeMismatch(pathText(path)), "\(name) \(side)")
        }
        // A fractional number where the schema says integer.
        for (path, value) in nodes(json) {
            guard case .integer = value else { continue }
            #expect(outcome(name, side, replacing(json, at: path[...], with: 1.5)) == .typeMismatch(pathText(path)), "\(name) \(side)")
        }
    }

    @Test(arguments: actionNames, Side.allCases)
    func exactlyTheSchemasRequiredFieldsAreRequired(_ name: String, _ side: Side) throws {
        let spec = try spec(name, side)
        let json = try JSONParser.parse(spec.json)
        for (path, _) in nodes(json) {
            guard case .key = path.last else { continue }
            let expected: Outcome = spec.required.contains(pathText(path, wildcard: true)) ? .keyNotFound(pathText(path)) : .decoded
            #expect(outcome(name, side, replacing(json, at: path[...], with: nil)) == expected, "\(name) \(side)")
        }
        let samplePaths = Set(nodes(json).map { pathText($0.path, wildcard: true) })
        #expect(spec.required.isSubset(of: samplePaths), "stale test data for \(name) \(side)")
    }

    @Test(arguments: actionNames, Side.allCases)
    func stringsHaveTheSchemasLengthsAndValues(_ name: String, _ side: Side) throws {
        let spec = try spec(name, side)
        let json = try JSONParser.parse(spec.json)
        var stringPaths: Set<String> = []
        for (path, value) in nodes(json) {
            guard case .string = value else { continue }
            let field = pathText(path, wildcard: true)
            stringPaths.insert(field)
            let bogus = replacing(json, at: path[...], with: "No such value")
            let expected: Outcome = spec.checked.contains(field) ? .dataCorrupted(pathText(path)) : .decoded
            #expect(outcome(name, side, bogus) == expected, "\(name) \(side)")
            if let max = spec.maxLength[field] {
                let longest = replacing(json, at: path[...], with: .string(String(repeating: "x", count: max)))
                let tooLong = replacing(json, at: path[...], with: .string(String(repeating: "x", count: max + 1)))
                #expect(outcome(name, side, longest) == .decoded, "\(name) \(side)")
                #expect(outcome(name, side, tooLong) == .dataCorrupted(pathText(path)), "\(name) \(side)")
            } else if !spec.checked.contains(field) {
                let long = replacing(json, at: path[...], with: .string(String(repeating: "x", count: 5000)))
                #expect(outcome(name, side, long) == .decoded, "\(name) \(side): \(field) has no maximum length")
            }
        }
        #expect(spec.checked.isSubset(of: stringPaths), "stale test data for \(name) \(side)")
        #expect(Set(spec.maxLength.keys).isSubset(of: stringPaths), "stale test data for \(name) \(side)")
    }

    // MARK: - The catalogue

    @Test func catalogueHoldsEveryActionOnce() {
        let expected: [String: (OCPPSender, FeatureProfile)] = [
            "Authorize": (.chargePoint, .core), "BootNotification": (.chargePoint, .core),
            "DataTransfer": (.either, .core), "DiagnosticsStatusNotification": (.chargePoint, .firmwareManagement),
            "FirmwareStatusNotification": (.chargePoint, .firmwareManagement), "Heartbeat": (.chargePoint, .core),
            "MeterValues": (.chargePoint, .core), "StartTransaction": (.chargePoint, .core),
            "StatusNotification": (.chargePoint, .core), "StopTransaction": (.chargePoint, .core),
            "CancelReservation": (.centralSystem, .reservation), "ChangeAvailability": (.centralSystem, .core),
            "ChangeConfiguration": (.centralSystem, .core), "ClearCache": (.centralSystem, .core),
            "ClearChargingProfile": (.centralSystem, .smartCharging), "GetCompositeSchedule": (.centralSystem, .smartCharging),
            "GetConfiguration": (.centralSystem, .core), "GetDiagnostics": (.centralSystem, .firmwareManagement),
            "GetLocalListVersion": (.centralSystem, .localAuthListManagement),
            "RemoteStartTransaction": (.centralSystem, .core), "RemoteStopTransaction": (.centralSystem, .core),
            "ReserveNow": (.centralSystem, .reservation), "Reset": (.centralSystem, .core),
            "SendLocalList": (.centralSystem, .localAuthListManagement), "SetChargingProfile": (.centralSystem, .smartCharging),
            "TriggerMessage": (.centralSystem, .remoteTrigger), "UnlockConnector": (.centralSystem, .core),
            "UpdateFirmware": (.centralSystem, .firmwareManagement),
            "CertificateSigned": (.centralSystem, .security), "DeleteCertificate": (.centralSystem, .security),
            "ExtendedTriggerMessage": (.centralSystem, .security), "GetInstalledCertificateIds": (.centralSystem, .security),
            "GetLog": (.centralSystem, .security), "InstallCertificate": (.centralSystem, .security),
            "LogStatusNotification": (.chargePoint, .security), "SecurityEventNotification": (.chargePoint, .security),
            "SignCertificate": (.chargePoint, .security), "SignedFirmwareStatusNotification": (.chargePoint, .security),
            "SignedUpdateFirmware": (.centralSystem, .security),
        ]
        #expect(expected.count == 39)
        #expect(OCPPActions.all.count == 39)
        #expect(Set(actionNames).count == 39)
        #expect(Set(actionNames) == Set(expected.keys))
        for action in OCPPActions.all {
            #expect(OCPPActions.named(action.name).map(ObjectIdentifier.init) == ObjectIdentifier(action))
            #expect(expected[action.name]?.0 == action.sender, "\(action.name)")
            #expect(expected[action.name]?.1 == action.profile, "\(action.name)")
        }
        // 10 sent by charge points and 19 by the central system, DataTransfer among both; the white paper adds 4 and 7.
        #expect(OCPPActions.all.filter { $0.sender != .centralSystem }.count == 14)
        #expect(OCPPActions.all.filter { $0.sender != .chargePoint }.count == 26)
        #expect(OCPPActions.named("heartbeat") == nil)
        #expect(OCPPActions.named("NoSuchAction") == nil)
    }

    @Test func commandsMapToTheActionsTheCentralSystemSends() {
        let expected = [
            "start-transaction": "RemoteStartTransaction", "stop-transaction": "RemoteStopTransaction",
            "change-availability": "ChangeAvailability", "reset": "Reset", "unlock-connector": "UnlockConnector",
            "get-configuration": "GetConfiguration", "change-configuration": "ChangeConfiguration", "reserve-now": "ReserveNow",
            "cancel-reservation": "CancelReservation", "clear-cache": "ClearCache", "trigger-message": "TriggerMessage",
            "data-transfer": "DataTransfer", "get-diagnostics": "GetDiagnostics", "update-firmware": "UpdateFirmware",
            "get-local-list-version": "GetLocalListVersion", "send-local-list": "SendLocalList",
            "set-charging-profile": "SetChargingProfile", "clear-charging-profile": "ClearChargingProfile",
            "get-composite-schedule": "GetCompositeSchedule", "certificate-signed": "CertificateSigned",
            "delete-certificate": "DeleteCertificate", "extended-trigger-message": "ExtendedTriggerMessage",
            "get-installed-certificate-ids": "GetInstalledCertificateIds", "get-log": "GetLog", "install-certificate": "InstallCertificate",
            "signed-update-firmware": "SignedUpdateFirmware",
        ]
        #expect(OCPPActions.commands.count == 26)
        #expect(OCPPActions.commands.mapValues { $0.name } == expected)
        for (command, action) in OCPPActions.commands {
            #expect(action.sender == .centralSystem || action.sender == .either, "\(command)")
        }
        let sentByCentralSystem = Set(OCPPActions.all.filter { $0.sender != .chargePoint }.map { $0.name })
        #expect(Set(OCPPActions.commands.values.map { $0.name }) == sentByCentralSystem)
    }

    @Test func enumerationsHoldExactlyTheSchemasValues() {
        #expect(AuthorizationStatus.allCases.map(\.rawValue) == ["Accepted", "Blocked", "Expired", "Invalid", "ConcurrentTx"])
        #expect(RegistrationStatus.allCases.map(\.rawValue) == ["Accepted", "Pending", "Rejected"])
        #expect(ResetType.allCases.map(\.rawValue) == ["Hard", "Soft"])
        #expect(ResetStatus.allCases.map(\.rawValue) == ["Accepted", "Rejected"])
        #expect(AvailabilityType.allCases.map(\.rawValue) == ["Inoperative", "Operative"])
        #expect(AvailabilityStatus.allCases.map(\.rawValue) == ["Accepted", "Rejected", "Scheduled"])
        #expect(ConfigurationStatus.allCases.map(\.rawValue) == ["Accepted", "Rejected", "RebootRequired", "NotSupported"])
        #expect(ClearCacheStatus.allCases.map(\.rawValue) == ["Accepted", "Rejected"])
        #expect(DataTransferStatus.allCases.map(\.rawValue) == ["Accepted", "Rejected", "UnknownMessageId", "UnknownVendorId"])
        #expect(
            ChargePointStatus.allCases.map(\.rawValue) == [
                "Available", "Preparing", "Charging", "SuspendedEVSE", "SuspendedEV", "Finishing", "Reserved", "Unavailable", "Faulted",
            ])
        #expect(
            ChargePointErrorCode.allCases.map(\.rawValue) == [
                "ConnectorLockFailure", "EVCommunicationError", "GroundFailure", "HighTemperature", "InternalError", "LocalListConflict",
                "NoError", "OtherError", "OverCurrentFailure", "PowerMeterFailure", "PowerSwitchFailure", "ReaderFailure", "ResetFailure",
                "UnderVoltage", "OverVoltage", "WeakSignal",
            ])
        #expect(
            Reason.allCases.map(\.rawValue) == [
                "EmergencyStop", "EVDisconnected", "HardReset", "Local", "Other", "PowerLoss", "Reboot", "Remote", "SoftReset",
                "UnlockCommand", "DeAuthorized",
            ])
        #expect(
            ReadingContext.allCases.map(\.rawValue) == [
                "Interruption.Begin", "Interruption.End", "Sample.Clock", "Sample.Periodic", "Transaction.Begin", "Transaction.End",
                "Trigger", "Other",
            ])
        #expect(ValueFormat.allCases.map(\.rawValue) == ["Raw", "SignedData"])
        #expect(
            Measurand.allCases.map(\.rawValue) == [
                "Energy.Active.Export.Register", "Energy.Active.Import.Register", "Energy.Reactive.Export.Register",
                "Energy.Reactive.Import.Register", "Energy.Active.Export.Interval", "Energy.Active.Import.Interval",
                "Energy.Reactive.Export.Interval", "Energy.Reactive.Import.Interval", "Power.Active.Export", "Power.Active.Import",
                "Power.Offered", "Power.Reactive.Export", "Power.Reactive.Import", "Power.Factor", "Current.Import", "Current.Export",
                "Current.Offered", "Voltage", "Frequency", "Temperature", "SoC", "RPM",
            ])
        #expect(Phase.allCases.map(\.rawValue) == ["L1", "L2", "L3", "N", "L1-N", "L2-N", "L3-N", "L1-L2", "L2-L3", "L3-L1"])
        #expect(Location.allCases.map(\.rawValue) == ["Cable", "EV", "Inlet", "Outlet", "Body"])
        #expect(
            UnitOfMeasure.allCases.map(\.rawValue) == [
                "Wh", "kWh", "varh", "kvarh", "W", "kW", "VA", "kVA", "var", "kvar", "A", "V", "K", "Celcius", "Celsius", "Fahrenheit",
                "Percent", "Hertz",
            ])
        #expect(RemoteStartStopStatus.allCases.map(\.rawValue) == ["Accepted", "Rejected"])
        #expect(UnlockStatus.allCases.map(\.rawValue) == ["Unlocked", "UnlockFailed", "NotSupported"])
        #expect(DiagnosticsStatus.allCases.map(\.rawValue) == ["Idle", "Uploaded", "UploadFailed", "Uploading"])
        #expect(
            FirmwareStatus.allCases.map(\.rawValue) == [
                "Downloaded", "DownloadFailed", "Downloading", "Idle", "InstallationFailed", "Installing", "Installed",
            ])
        #expect(UpdateType.allCases.map(\.rawValue) == ["Differential", "Full"])
        #expect(UpdateStatus.allCases.map(\.rawValue) == ["Accepted", "Failed", "NotSupported", "VersionMismatch"])
        #expect(CancelReservationStatus.allCases.map(\.rawValue) == ["Accepted", "Rejected"])
        #expect(ReservationStatus.allCases.map(\.rawValue) == ["Accepted", "Faulted", "Occupied", "Rejected", "Unavailable"])
        #expect(ChargingProfilePurposeType.allCases.map(\.rawValue) == ["ChargePointMaxProfile", "TxDefaultProfile", "TxProfile"])
        #expect(ChargingProfileKindType.allCases.map(\.rawValue) == ["Absolute", "Recurring", "Relative"])
        #expect(RecurrencyKindType.allCases.map(\.rawValue) == ["Daily", "Weekly"])
        #expect(ChargingRateUnitType.allCases.map(\.rawValue) == ["A", "W"])
        #expect(ChargingProfileStatus.allCases.map(\.rawValue) == ["Accepted", "Rejected", "NotSupported"])
        #expect(ClearChargingProfileStatus.allCases.map(\.rawValue) == ["Accepted", "Unknown"])
        #expect(GetCompositeScheduleStatus.allCases.map(\.rawValue) == ["Accepted", "Rejected"])
        #expect(
            MessageTrigger.allCases.map(\.rawValue) == [
                "BootNotification", "DiagnosticsStatusNotification", "FirmwareStatusNotification", "Heartbeat", "MeterValues",
                "StatusNotification",
            ])
        #expect(TriggerMessageStatus.allCases.map(\.rawValue) == ["Accepted", "Rejected", "NotImplemented"])
        // Security (white paper edition 3)
        #expect(GenericStatus.allCases.map(\.rawValue) == ["Accepted", "Rejected"])
        #expect(HashAlgorithm.allCases.map(\.rawValue) == ["SHA256", "SHA384", "SHA512"])
        #expect(CertificateUse.allCases.map(\.rawValue) == ["CentralSystemRootCertificate", "ManufacturerRootCertificate"])
        #expect(DeleteCertificateStatus.allCases.map(\.rawValue) == ["Accepted", "Failed", "NotFound"])
        #expect(GetInstalledCertificateStatus.allCases.map(\.rawValue) == ["Accepted", "NotFound"])
        #expect(InstallCertificateStatus.allCases.map(\.rawValue) == ["Accepted", "Failed", "Rejected"])
        #expect(LogType.allCases.map(\.rawValue) == ["DiagnosticsLog", "SecurityLog"])
        #expect(LogStatus.allCases.map(\.rawValue) == ["Accepted", "Rejected", "AcceptedCanceled"])
        #expect(
            UploadLogStatus.allCases.map(\.rawValue) == [
                "BadMessage", "Idle", "NotSupportedOperation", "PermissionDenied", "Uploaded", "UploadFailure", "Uploading",
            ])
        #expect(
            ExtendedMessageTrigger.allCases.map(\.rawValue) == [
                "BootNotification", "LogStatusNotification", "FirmwareStatusNotification", "Heartbeat", "MeterValues",
                "SignChargePointCertificate", "StatusNotification",
            ])
        #expect(
            SignedFirmwareStatus.allCases.map(\.rawValue) == [
                "Downloaded", "DownloadFailed", "Downloading", "DownloadScheduled", "DownloadPaused", "Idle", "InstallationFailed",
                "Installing", "Installed", "InstallRebooting", "InstallScheduled", "InstallVerificationFailed", "InvalidSignature",
                "SignatureVerified",
            ])
        #expect(
            UpdateFirmwareStatus.allCases.map(\.rawValue) == [
                "Accepted", "Rejected", "AcceptedCanceled", "InvalidCertificate", "RevokedCertificate",
            ])
    }

    // MARK: - Decoded values

    @Test func meterValuesDecodeToTypedValues() throws {
        let request = try MeterValues.Request.decode(from: JSONParser.parse(spec("MeterValues", .request).json))
        #expect(request.connectorId == 1)
        #expect(request.transactionId == 42)
        // 14:00 at +02:00 is noon UTC.
        #expect(request.meterValue[0].timestamp == Date(timeIntervalSince1970: 1_714_564_800))
        let energy = request.meterValue[0].sampledValue[0]
        #expect(
            energy
                == SampledValue(
                    value: "1234.5", context: .samplePeriodic, format: .raw, measurand: .energyActiveImportRegister, phase: .l1N,
                    location: .outlet, unit: .kWh))
        let temperature = request.meterValue[0].sampledValue[1]
        #expect(temperature.measurand == .temperature)
        #expect(temperature.unit == .celsius)
        #expect(temperature.format == nil)
        #expect(temperature.phase == nil)
    }

    @Test func absentMeasurandStaysAbsent() throws {
        let request = try MeterValues.Request.decode(
            from: JSONParser.parse(#"{"connectorId":1,"meterValue":[{"timestamp":"2024-05-01T12:00:00Z","sampledValue":[{"value":"7"}]}]}"#)
        )
        #expect(request.meterValue[0].sampledValue[0].measurand == nil)
        #expect(request.transactionId == nil)
    }

    @Test func startTransactionAndItsAnswerDecode() throws {
        let request = try StartTransaction.Request.decode(from: JSONParser.parse(spec("StartTransaction", .request).json))
        #expect(
            request
                == StartTransaction.Request(
                    connectorId: 1, idTag: "TAG-1", meterStart: 1000, reservationId: 7,
                    timestamp: Date(timeIntervalSince1970: 1_714_564_800)))
        let response = try StartTransaction.Response.decode(from: JSONParser.parse(spec("StartTransaction", .response).json))
        #expect(response.transactionId == 42)
        #expect(response.idTagInfo.status == .accepted)
        #expect(response.idTagInfo.parentIdTag == "parent-1", "CiString compares case-insensitively")
        #expect(response.idTagInfo.expiryDate == Date(timeIntervalSince1970: 1_717_200_000))
    }

    @Test func chargingProfileDecodes() throws {
        let request = try SetChargingProfile.Request.decode(from: JSONParser.parse(spec("SetChargingProfile", .request).json))
        let profile = request.csChargingProfiles
        #expect(profile.chargingProfilePurpose == .txProfile)
        #expect(profile.chargingProfileKind == .recurring)
        #expect(profile.recurrencyKind == .daily)
        #expect(profile.chargingSchedule.chargingRateUnit == .a)
        #expect(
            profile.chargingSchedule.chargingSchedulePeriod == [
                ChargingSchedulePeriod(startPeriod: 0, limit: 16, numberPhases: 3), ChargingSchedulePeriod(startPeriod: 3600, limit: 6.3),
            ])
        #expect(profile.chargingSchedule.minChargingRate == 6.1)
    }

    @Test func configurationKeysDecode() throws {
        let response = try GetConfiguration.Response.decode(from: JSONParser.parse(spec("GetConfiguration", .response).json))
        #expect(
            response.configurationKey == [
                KeyValue(key: "HeartbeatInterval", readonly: false, value: "300"),
                KeyValue(key: "ChargeProfileMaxStackLevel", readonly: true),
            ])
        #expect(response.unknownKey == ["NoSuchKey"])
        #expect(try GetConfiguration.Request.decode(from: JSONParser.parse("{}")).key == nil)
    }

    @Test func commandsBuiltInSwiftEncodeAsTheSchemaSpellsThem() throws {
        #expect(try JSONCoding.jsonValue(Reset.Request(type: .soft)) == ["type": "Soft"])
        #expect(try JSONCoding.jsonValue(ClearCache.Request()) == [:])
        #expect(
            try JSONCoding.jsonValue(TriggerMessage.Request(requestedMessage: .bootNotification)) == [
                "requestedMessage": "BootNotification"
            ])
        let request = RemoteStartTransaction.Request(
            idTag: "TAG-1",
            chargingProfile: ChargingProfile(
                chargingProfileId: 1, stackLevel: 0, chargingProfilePurpose: .txProfile, chargingProfileKind: .relative,
                chargingSchedule: ChargingSchedule(chargingRateUnit: .w, chargingSchedulePeriod: [.init(startPeriod: 0, limit: 7400)])))
        let json = try JSONCoding.jsonValue(request)
        #expect(json["connectorId"] == nil, "absent optionals are left out, not sent as null")
        #expect(json["chargingProfile"]?["chargingProfileKind"] == "Relative")
        #expect(try RemoteStartTransaction.Request.decode(from: json) == request)
    }

    // MARK: - Invalid payloads

    @Test func missingRequiredFieldIsKeyNotFound() throws {
        #expect(try outcome(Authorize.Request.self, "{}") == .keyNotFound("idTag"))
        #expect(
            try outcome(StartTransaction.Request.self, #"{"connectorId":1,"idTag":"T","timestamp":"2024-05-01T12:00:00Z"}"#)
                == .keyNotFound("meterStart"))
        #expect(
            try outcome(MeterValues.Request.self, #"{"connectorId":1,"meterValue":[{"sampledValue":[{"value":"1"}]}]}"#)
                == .keyNotFound("meterValue[0].timestamp"))
        #expect(try outcome(StopTransaction.Response.self, #"{"idTagInfo":{}}"#) == .keyNotFound("idTagInfo.status"))
    }

    @Test func nullForARequiredFieldIsValueNotFound() throws {
        #expect(try outcome(Authorize.Request.self, #"{"idTag":null}"#) == .valueNotFound("idTag"))
    }

    @Test func wrongTypeIsTypeMismatch() throws {
        #expect(
            try outcome(
                StartTransaction.Request.self, #"{"connectorId":"1","idTag":"T","meterStart":0,"timestamp":"2024-05-01T12:00:00Z"}"#)
                == .typeMismatch("connectorId"))
        #expect(
            try outcome(
                MeterValues.Request.self,
                #"{"connectorId":1,"meterValue":[{"timestamp":"2024-05-01T12:00:00Z","sampledValue":[{"value":12.5}]}]}"#)
                == .typeMismatch("meterValue[0].sampledValue[0].value"))
        #expect(try outcome(ChangeConfiguration.Request.self, #"{"key":"HeartbeatInterval","value":300}"#) == .typeMismatch("value"))
        #expect(try outcome(Heartbeat.Response.self, #"{"currentTime":1714564800}"#) == .typeMismatch("currentTime"))
    }

    @Test func unknownEnumerationValueIsDataCorrupted() throws {
        #expect(
            try outcome(StatusNotification.Request.self, #"{"connectorId":1,"errorCode":"NoError","status":"Busy"}"#)
                == .dataCorrupted("status"))
        // Enumeration values are case-sensitive.
        #expect(try outcome(Reset.Request.self, #"{"type":"soft"}"#) == .dataCorrupted("type"))
        #expect(try outcome(TriggerMessage.Request.self, #"{"requestedMessage":"StartTransaction"}"#) == .dataCorrupted("requestedMessage"))
    }

    @Test func idTagLongerThan20IsDataCorrupted() throws {
        #expect(try outcome(Authorize.Request.self, #"{"idTag":"12345678901234567890"}"#) == .decoded)
        #expect(try outcome(Authorize.Request.self, #"{"idTag":"123456789012345678901"}"#) == .dataCorrupted("idTag"))
        #expect(
            try outcome(Authorize.Response.self, #"{"idTagInfo":{"status":"Accepted","parentIdTag":"123456789012345678901"}}"#)
                == .dataCorrupted("idTagInfo.parentIdTag"))
    }

    @Test func invalidDateIsDataCorrupted() throws {
        for date in ["2024-13-01T00:00:00Z", "2024-05-01T12:00:00", "yesterday", "2024-02-30T00:00:00Z", ""] {
            #expect(
                try outcome(StartTransaction.Request.self, #"{"connectorId":1,"idTag":"T","meterStart":0,"timestamp":"\#(date)"}"#)
                    == .dataCorrupted("timestamp"), "\(date)")
        }
        #expect(
            try outcome(
                StartTransaction.Request.self, #"{"connectorId":1,"idTag":"T","meterStart":0,"timestamp":"2024-05-01T12:00:00.123-05:30"}"#)
                == .decoded)
    }

    @Test func dateTimesSurviveReencodingToTheMillisecond() throws {
        // 1987-05-03T09:03:46Z: at this instant some parsed fractions fall just below their millisecond in binary.
        for millis in 0..<1000 {
            let text = #"{"currentTime":"1987-05-03T09:03:46.\#(String(format: "%03d", millis))Z"}"#
            let decoded = try Heartbeat.Response.decode(from: JSONParser.parse(text))
            let again = try Heartbeat.Response.decode(from: JSONCoding.jsonValue(decoded))
            #expect(again == decoded, "\(text)")
        }
    }

    @Test func limitsMustBeMultiplesOfOneTenth() throws {
        func setProfile(limit: String, minChargingRate: String = "6.0") -> String {
            #"""
            {"connectorId":1,"csChargingProfiles":{"chargingProfileId":1,"stackLevel":0,"chargingProfilePurpose":"TxDefaultProfile",
            "chargingProfileKind":"Absolute","chargingSchedule":{"chargingRateUnit":"A","minChargingRate":\#(minChargingRate),
            "chargingSchedulePeriod":[{"startPeriod":0,"limit":16},{"startPeriod":60,"limit":\#(limit)}]}}}
            """#
        }
        for limit in ["0.3", "6.3", "32", "0", "11000.7", "-0.1"] {
            #expect(try outcome(SetChargingProfile.Request.self, setProfile(limit: limit)) == .decoded, "\(limit)")
        }
        for limit in ["16.05", "0.01", "6.33"] {
            #expect(
                try outcome(SetChargingProfile.Request.self, setProfile(limit: limit))
                    == .dataCorrupted("csChargingProfiles.chargingSchedule.chargingSchedulePeriod[1].limit"), "\(limit)")
        }
        #expect(
            try outcome(SetChargingProfile.Request.self, setProfile(limit: "6", minChargingRate: "0.25"))
                == .dataCorrupted("csChargingProfiles.chargingSchedule.minChargingRate"))
        #expect(
            try outcome(
                RemoteStartTransaction.Request.self,
                #"""
                {"idTag":"T","chargingProfile":{"chargingProfileId":1,"stackLevel":0,"chargingProfilePurpose":"TxProfile",
                "chargingProfileKind":"Relative","chargingSchedule":{"chargingRateUnit":"W","chargingSchedulePeriod":[{"startPeriod":0,"limit":0.05}]}}}
                """#) == .dataCorrupted("chargingProfile.chargingSchedule.chargingSchedulePeriod[0].limit"))
        #expect(
            try outcome(
                GetCompositeSchedule.Response.self,
                #"{"status":"Accepted","chargingSchedule":{"chargingRateUnit":"A","chargingSchedulePeriod":[{"startPeriod":0,"limit":1.25}]}}"#
            )
                == .dataCorrupted("chargingSchedule.chargingSchedulePeriod[0].limit"))
    }

    @Test func meterValuesNeedAtLeastOneValue() throws {
        #expect(try outcome(MeterValues.Request.self, #"{"connectorId":1,"meterValue":[]}"#) == .dataCorrupted("meterValue"))
        #expect(
            try outcome(
                MeterValues.Request.self, #"{"connectorId":1,"meterValue":[{"timestamp":"2024-05-01T12:00:00Z","sampledValue":[]}]}"#)
                == .dataCorrupted("meterValue[0].sampledValue"))
        // StopTransaction's schema sets no minimum on its transactionData.
        #expect(
            try outcome(
                StopTransaction.Request.self,
                #"{"meterStop":1,"timestamp":"2024-05-01T12:00:00Z","transactionId":1,"transactionData":[{"timestamp":"2024-05-01T12:00:00Z","sampledValue":[]}]}"#
            ) == .decoded)
    }

    @Test func locationsMustBeURIs() throws {
        for location in ["ftp://host/dir/", "https://fw.example.com/a.bin", "sftp://u:p@h:22/x", "urn:example:firmware"] {
            #expect(
                try outcome(UpdateFirmware.Request.self, #"{"location":"\#(location)","retrieveDate":"2024-05-01T00:00:00Z"}"#) == .decoded)
        }
        for location in ["", "no scheme", "/var/tmp", "://host", "1ftp://host", "ftp://host/a file"] {
            #expect(try outcome(GetDiagnostics.Request.self, #"{"location":"\#(location)"}"#) == .dataCorrupted("location"), "\(location)")
        }
    }
}
