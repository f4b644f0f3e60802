import Foundation
import Shared

/// The workloads a simulated station repeats once booted.
enum Mix: String, CaseIterable, Sendable {
    /// Heartbeat after Heartbeat.
    case heartbeat
    /// MeterValues (a committed write each) outside any transaction.
    case meter
    /// Authorize, StartTransaction, 10 MeterValues with the returned transactionId, StopTransaction.
    case session

    static let meterValuesPerSession = 10
}

/// One CALL a station sends.
enum Step: String, Sendable {
    case boot = "BootNotification"
    case heartbeat = "Heartbeat"
    case authorize = "Authorize"
    case start = "StartTransaction"
    case meter = "MeterValues"
    case stop = "StopTransaction"
}

/// What the simulated charge point knows that goes into its payloads.
struct ChargePointFacts {
    var id: String
    var idTag: String
    var meterWh: Int
    var transactionId: Int?
}

enum Messages {
    /// The CALL frame of `step`.
    static func call(_ step: Step, messageId: String, facts: ChargePointFacts) -> String {
        "[2,\"\(messageId)\",\"\(step.rawValue)\",\(payload(step, facts: facts))]"
    }

    static func payload(_ step: Step, facts: ChargePointFacts) -> String {
        let now = OCPPDate.format(Date())
        switch step {
        case .boot:
            return
                #"{"chargePointVendor":"ocpp-bench","chargePointModel":"LoadGenerator","chargePointSerialNumber":"\#(facts.id.suffix(25))","firmwareVersion":"1.0"}"#
        case .heartbeat:
            return "{}"
        case .authorize:
            return #"{"idTag":"\#(facts.idTag)"}"#
        case .start:
            return #"{"connectorId":1,"idTag":"\#(facts.idTag)","meterStart":\#(facts.meterWh),"timestamp":"\#(now)"}"#
        case .meter:
            let transaction = facts.transactionId.map { #","transactionId":\#($0)"# } ?? ""
            return
                #"{"connectorId":1\#(transaction),"meterValue":[{"timestamp":"\#(now)","sampledValue":[{"value":"\#(facts.meterWh)","measurand":"Energy.Active.Import.Register","unit":"Wh","context":"Sample.Periodic"},{"value":"7400","measurand":"Power.Active.Import","unit":"W","context":"Sample.Periodic"}]}]}"#
        case .stop:
            return
                #"{"transactionId":\#(facts.transactionId ?? 0),"idTag":"\#(facts.idTag)","meterStop":\#(facts.meterWh),"timestamp":"\#(now)","reason":"Local"}"#
        }
    }

    /// Checks the CALLRESULT payload of `step` by the OCPP schema and by what a charge point needs
    /// from it; returns the transactionId of a StartTransaction. Throws a short description.
    static func check(_ step: Step, _ payload: JSONValue) throws(ReplyError) -> Int? {
        do {
            switch step {
            case .boot:
                let response = try BootNotification.Response.decode(from: payload)
                guard response.status == .accepted else { throw ReplyError("BootNotification \(response.status.rawValue)") }
            case .heartbeat:
                _ = try Heartbeat.Response.decode(from: payload)
            case .authorize:
                let response = try Authorize.Response.decode(from: payload)
                guard response.idTagInfo.status == .accepted else { throw ReplyError("Authorize \(response.idTagInfo.status.rawValue)") }
            case .start:
                let response = try StartTransaction.Response.decode(from: payload)
                guard response.idTagInfo.status == .accepted else {
                    throw ReplyError("StartTransaction \(response.idTagInfo.status.rawValue)")
                }
                guard response.transactionId > 0 else { throw ReplyError("StartTransaction without a transactionId") }
                return response.transactionId
            case .meter:
                _ = try MeterValues.Response.decode(from: payload)
            case .stop:
                _ = try StopTransaction.Response.decode(from: payload)
            }
        } catch let error as ReplyError {
            throw error
        } catch {
            throw ReplyError("invalid \(step.rawValue) answer")
        }
        return nil
    }

    /// What a charge point answers to each CALL a central system may send: accepted, empty lists.
    static func answer(toCentralSystemAction action: String) -> String? {
        switch action {
        case "CancelReservation", "ChangeAvailability", "ChangeConfiguration", "ClearCache", "ClearChargingProfile", "DataTransfer",
            "RemoteStartTransaction", "RemoteStopTransaction", "ReserveNow", "Reset", "SendLocalList", "SetChargingProfile",
            "TriggerMessage":
            #"{"status":"Accepted"}"#
        case "GetCompositeSchedule": #"{"status":"Rejected"}"#
        case "GetConfiguration": #"{"configurationKey":[],"unknownKey":[]}"#
        case "GetLocalListVersion": #"{"listVersion":0}"#
        case "UnlockConnector": #"{"status":"NotSupported"}"#
        case "GetDiagnostics", "UpdateFirmware": "{}"
        default: nil
        }
    }
}

/// Why an answer was not what a charge point needs; its text is the error kind in the report.
struct ReplyError: Error {
    var kind: String
    init(_ kind: String) { self.kind = kind }
}
