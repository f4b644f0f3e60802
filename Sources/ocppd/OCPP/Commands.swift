import AsyncHTTPClient
import Foundation
import HTTPTypes
import Logging
import Shared
import X509

/// Sends central-system commands to stations for the REST API: validates the payload before
/// anything is sent, keeps the Rejected-station rule, maps every outcome to an HTTP answer, and
/// stores what the command changed.
struct Commands: Sendable {
    let store: any Store
    let registry: ConnectionRegistry
    let events: EventBus
    let timeout: Duration
    let logger: Logger
    /// In a cluster: the way to the node that holds a station connected elsewhere.
    var cluster: Cluster?
    /// ocppd's own upload URLs, for get-diagnostics and get-log without a location.
    var uploads: Uploads?

    /// Sends `action` with `payload` to station `id`; returns the charge point's CALLRESULT payload. In a cluster, a
    /// station connected to another node is reached through that node, unless `forwarded` (this is that node).
    func send(_ action: any OCPPAction.Type, payload: JSONValue, to id: String, forwarded: Bool = false) async throws -> JSONValue {
        guard let station = try await store.station(id) else { throw Problem.notFound("unknown station '\(id)'") }
        guard let connection = await registry.connection(id) else {
            if let cluster, !forwarded {
                return try await forward(action, payload: payload, to: id, cluster: cluster)
            }
            throw Problem(status: .conflict, detail: "station '\(id)' is not connected; try again when it is")
        }
        if station.registrationStatus == .rejected, !(action == TriggerMessage.self && payload["requestedMessage"] == "BootNotification") {
            throw Problem(
                status: .conflict,
                detail:
                    "station '\(id)' is Rejected: the only command it may be sent is trigger-message with requestedMessage BootNotification"
            )
        }
        var payload = try await replacingFirmwareId(action, payload.removingNullMembers())
        let (checked, allocate, uploadKind) = try Self.check(action, payload)
        if action == ReserveNow.self {
            payload = try await reserve(try ReserveNow.Request.decode(from: checked), payload, station: id, allocate: allocate != nil)
        } else if let allocate, let object = payload.objectValue {
            let allocated = try await store.allocateRequestId(id, action: action.name)
            payload = .object(object.setting(allocate, .integer(Int64(allocated))))
        }
        if let uploadKind {
            guard let uploads else {
                throw Problem.badRequest("no location given, and this ocppd keeps no files to offer its own upload URL")
            }
            var requestId: Int?
            if case .integer(let number)? = payload["requestId"] { requestId = Int(exactly: number) }
            let url = try await uploads.uploadURL(for: UploadGrant(cpId: id, kind: uploadKind, requestId: requestId))
            payload = Self.settingLocation(uploadKind, url, in: payload)
        }

        let sentAt = Date()
        let result: JSONValue
        do {
            result = try await connection.call(action: action.name, payload: payload, timeout: timeout)
        } catch let failure as CallFailure {
            let problem = Self.problem(for: failure, station: id, action: action.name, timeout: timeout)
            await log(CommandRecord(cpId: id, action: action.name, request: payload, response: nil, error: problem.detail, at: sentAt))
            await publishResult(id, action: action.name, payload: payload, failure: problem)
            throw problem
        }
        do {
            try Self.validate(action, response: result)
        } catch {
            let problem = OCPPError(payloadError: error)
            logger.notice(
                "invalid CALLRESULT from station",
                metadata: ["station": "\(id)", "action": "\(action.name)", "error": "\(problem.description)"])
            await log(
                CommandRecord(
                    cpId: id, action: action.name, request: payload, response: result, error: "invalid payload: \(problem.description)",
                    at: sentAt))
            throw Problem(
                status: .badGateway, detail: "station '\(id)' answered \(action.name) with an invalid payload: \(problem.description)",
                extra: ["payload": result])
        }
        await log(CommandRecord(cpId: id, action: action.name, request: payload, response: result, at: sentAt))
        do {
            try await CommandEffects(store: store).apply(action, request: payload, response: result, station: id, at: sentAt)
        } catch {
            logger.error(
                "could not store what a command changed", metadata: ["station": "\(id)", "action": "\(action.name)", "error": "\(error)"])
        }
        await publishResult(id, action: action.name, payload: payload, response: result)
        return result
    }

    /// Sends the command through the live node that holds the station, which does everything a single node would (checks,
    /// command log, events) and whose answer, success or problem, is this one's.
    private func forward(_ action: any OCPPAction.Type, payload: JSONValue, to id: String, cluster: Cluster) async throws -> JSONValue {
        guard let owner = try await cluster.remoteOwner(of: id) else {
            throw Problem(status: .conflict, detail: "station '\(id)' is not connected to any node of the cluster; try again when it is")
        }
        let url = owner.url + ClusterRoutes.callPath(station: id, action: action.name)
        let body = {
            var bytes: [UInt8] = []
            payload.write(to: &bytes)
            return bytes
        }()
        let answer: NodeClient.Answer
        // The owner answers 504 itself once the station is late, also after one command waiting ahead of this one.
        let deadline = timeout * 2 + .seconds(5)
        do {
            // Whichever comes first: the owner's answer, or its row saying it died (a host that vanished without closing
            // the connection would otherwise keep the caller until the deadline).
            answer = try await withThrowingTaskGroup(of: NodeClient.Answer?.self) { group in
                group.addTask { try await cluster.client.post(url, json: body, timeout: deadline) }
                group.addTask {
                    await cluster.waitUntilDead(owner.id)
                    return nil
                }
                defer { group.cancelAll() }
                guard let answer = try await group.next() ?? nil else { throw NodeDied() }
                return answer
            }
        } catch let error as HTTPClientError where error == .deadlineExceeded {
            throw Problem(
                status: .gatewayTimeout,
                detail: "node '\(owner.id)', which holds station '\(id)', did not answer \(action.name) within \(deadline.seconds) s",
                extra: ["node": .string(owner.id)])
        } catch {
            logger.warning(
                "forwarding a command failed: the node holding the station did not answer",
                metadata: ["station": "\(id)", "node": "\(owner.id)", "action": "\(action.name)", "error": "\(error)"])
            throw Problem(
                status: .badGateway,
                detail: "node '\(owner.id)', which holds station '\(id)', did not answer \(action.name) (\(error)); "
                    + "retry: the station reconnects to a live node",
                extra: ["node": .string(owner.id)])
        }
        let json = try? JSONParser.parse(answer.body.readableBytesView)
        if answer.status == 200, let json { return json }
        if answer.status == 401 {
            // Not the client's token: the nodes do not share the cluster secret.
            logger.error("another node refused this node's cluster secret", metadata: ["node": "\(owner.id)"])
            throw Problem(
                status: .badGateway, detail: "node '\(owner.id)' refused this node's cluster secret: the nodes' secrets differ",
                extra: ["node": .string(owner.id)])
        }
        guard case .object(var problem)? = json, let detail = problem["detail"]?.stringValue else {
            throw Problem(
                status: .badGateway, detail: "node '\(owner.id)' answered \(action.name) for station '\(id)' with HTTP \(answer.status)",
                extra: ["node": .string(owner.id)])
        }
        let title = problem["title"]?.stringValue ?? ""
        for member in ["type", "title", "status", "detail"] { problem[member] = nil }
        var headers: HTTPFields = [:]
        if let retryAfter = answer.retryAfter { headers[.retryAfter] = retryAfter }
        throw Problem(
            status: HTTPResponse.Status(code: answer.status, reasonPhrase: title), detail: detail, headers: headers, extra: problem)
    }

    /// The node a command was forwarded to stopped renewing its row before it answered.
    private struct NodeDied: Error, CustomStringConvertible {
        var description: String { "the node died" }
    }

    /// UpdateFirmware's `firmwareId`, or SignedUpdateFirmware's `firmware.firmwareId`, replaced by the URL where
    /// chargers fetch that firmware from ocppd (its `location`, resp. `firmware.location`).
    private func replacingFirmwareId(_ action: any OCPPAction.Type, _ payload: JSONValue) async throws -> JSONValue {
        // The object that holds the location: the payload itself, or SignedUpdateFirmware's `firmware`.
        let nested = action == SignedUpdateFirmware.self
        guard action == UpdateFirmware.self || nested, var object = payload.objectValue,
            var holder = nested ? object["firmware"]?.objectValue : object, case .string(let id)? = holder["firmwareId"]
        else { return payload }
        guard let uploads else { throw Problem.badRequest("this ocppd keeps no files: give a location") }
        guard holder["location"] == nil else {
            throw Problem(
                status: .badRequest, detail: "invalid field 'firmwareId': give firmwareId or location, not both",
                extra: ["field": "firmwareId"])
        }
        holder["firmwareId"] = nil
        holder["location"] = .string(try await uploads.firmwareLocation(id))
        if !nested { return .object(holder) }
        object["firmware"] = .object(holder)
        return .object(object)
    }

    /// What a command without its upload location uploads: GetDiagnostics without `location`, GetLog without
    /// `log.remoteLocation`; nil otherwise.
    static func uploadKind(_ action: any OCPPAction.Type, _ payload: JSONValue) -> StoredFile.Kind? {
        switch action.name {
        case GetDiagnostics.name: payload["location"] == nil ? .diagnostics : nil
        case GetLog.name: payload["log"]?["remoteLocation"] == nil ? .log : nil
        default: nil
        }
    }

    /// `payload` with its upload location set (GetLog's `log` object made when absent).
    static func settingLocation(_ kind: StoredFile.Kind, _ url: String, in payload: JSONValue) -> JSONValue {
        guard let object = payload.objectValue else { return payload }
        if kind == .log {
            return .object(object.setting("log", .object((payload["log"]?.objectValue ?? [:]).setting("remoteLocation", .string(url)))))
        }
        return .object(object.setting("location", .string(url)))
    }

    /// The members of requests whose value the central system chooses, allocated when a REST body leaves them out.
    static let centralSystemIds = [ReserveNow.name: "reservationId", GetLog.name: "requestId", SignedUpdateFirmware.name: "requestId"]

    /// The command log is a record, not part of the answer: failing to write it fails no command.
    private func log(_ record: CommandRecord) async {
        do {
            try await store.recordCommand(record)
        } catch {
            logger.error(
                "could not log a command", metadata: ["station": "\(record.cpId)", "action": "\(record.action)", "error": "\(error)"])
        }
    }

    /// Stores the reservation as Requested before ReserveNow goes out, allocating its id when omitted; returns the
    /// payload to send.
    private func reserve(_ request: ReserveNow.Request, _ payload: JSONValue, station: String, allocate: Bool) async throws -> JSONValue {
        let reservation = ReservationRequest(
            reservationId: allocate ? nil : request.reservationId, cpId: station, connectorId: request.connectorId,
            idTag: request.idTag.value, parentIdTag: request.parentIdTag?.value, expiryDate: request.expiryDate)
        do {
            let stored = try await store.createReservation(reservation)
            return .object(payload.objectValue!.setting("reservationId", .integer(Int64(stored.reservationId))))
        } catch StoreError.conflict {
            // ReserveNow with the id of an existing reservation replaces it (OCPP 1.6, 5.13).
            return payload
        }
    }

    /// `response` is the charge point's answer; a command that got none has `response` null and `error`: the REST
    /// problem's status and detail, with the charge point's CALLERROR code, description and details when it sent one.
    private func publishResult(_ id: String, action: String, payload: JSONValue, response: JSONValue) async {
        await events.publish("command.result", cpId: id, ["action": .string(action), "request": payload, "response": response])
    }

    private func publishResult(_ id: String, action: String, payload: JSONValue, failure: Problem) async {
        var error: JSONObject = ["status": .integer(Int64(failure.status.code)), "detail": .string(failure.detail)]
        for (key, value) in failure.extra.members { error[key] = value }
        await events.publish(
            "command.result", cpId: id, ["action": .string(action), "request": payload, "response": .null, "error": .object(error)])
    }

    /// A command payload held to its action's schema before anything is allocated or sent (a 400 when it is refused). An
    /// omitted id that the central system owns is allocated later and an omitted upload location is ocppd's own: both are
    /// checked with stand-ins, so that nothing is allocated for a payload that is refused. Returns the payload as checked,
    /// the id to allocate (nil when none is missing) and the kind of upload to offer a location for.
    static func check(
        _ action: any OCPPAction.Type, _ payload: JSONValue
    ) throws(Problem) -> (checked: JSONValue, allocate: String?, uploadKind: StoredFile.Kind?) {
        let allocate = centralSystemIds[action.name].flatMap { payload[$0] == nil ? $0 : nil }
        let uploadKind = uploadKind(action, payload)
        var checked = payload
        if let allocate, let object = payload.objectValue { checked = .object(object.setting(allocate, 1)) }
        if let uploadKind { checked = settingLocation(uploadKind, "https://ocppd.invalid/upload", in: checked) }
        do {
            try validate(action, request: checked)
        } catch {
            throw Problem.invalidPayload(error)
        }
        return (checked, allocate, uploadKind)
    }

    /// A command is held to the schema exactly: a charger would refuse a member it does not know.
    static func validate<A: OCPPAction>(_ action: A.Type, request: JSONValue) throws {
        _ = try A.Request.decodeExactly(from: request)
    }

    static func validate<A: OCPPAction>(_ action: A.Type, response: JSONValue) throws {
        _ = try A.Response.decode(from: response)
    }

    static func problem(for failure: CallFailure, station: String, action: String, timeout: Duration) -> Problem {
        switch failure {
        case .callError(let code, let description, let details):
            return Problem(
                status: .badGateway, detail: "station '\(station)' answered \(action) with CALLERROR \(code): \(description)",
                extra: ["errorCode": .string(code), "errorDescription": .string(description), "errorDetails": details])
        case .timeout:
            return Problem(status: .gatewayTimeout, detail: "station '\(station)' did not answer \(action) within \(timeout.seconds) s")
        case .queueFull:
            return Problem(
                status: .serviceUnavailable, detail: "too many commands are waiting for station '\(station)'; retry later",
                headers: [.retryAfter: "1"])
        case .connectionClosed:
            return Problem(status: .conflict, detail: "station '\(station)' disconnected before it answered \(action)")
        }
    }
}

extension Duration {
    /// Whole seconds, for messages.
    var seconds: Int64 { components.seconds }
}

extension JSONObject {
    func setting(_ key: String, _ value: JSONValue) -> JSONObject {
        var copy = self
        copy[key] = value
        return copy
    }
}

extension Problem {
    /// A 400 for a command payload the OCPP schema refuses; nothing was sent.
    static func invalidPayload(_ error: any Error) -> Problem {
        let ocpp = OCPPError(payloadError: error)
        var problem = Problem.badRequest("invalid OCPP payload, nothing was sent: \(ocpp.description)")
        if case .string(let field) = ocpp.details["field"] ?? .null { problem.extra["field"] = .string(field) }
        problem.extra["ocppErrorCode"] = .string(ocpp.code.rawValue)
        return problem
    }
}

/// What a successful command changed, kept in the store.
struct CommandEffects {
    let store: any Store

    func apply(_ action: any OCPPAction.Type, request: JSONValue, response: JSONValue, station id: String, at: Date) async throws {
        switch action.name {
        case ReserveNow.name:
            let reservation = try ReserveNow.Request.decode(from: request)
            let status = try ReserveNow.Response.decode(from: response).status.rawValue
            _ = try await store.setReservationStatus(reservation.reservationId, status)
        case CancelReservation.name:
            let cancel = try CancelReservation.Request.decode(from: request)
            if try CancelReservation.Response.decode(from: response).status == .accepted {
                _ = try await store.setReservationStatus(cancel.reservationId, "Cancelled")
            }
        case GetConfiguration.name:
            let asked = try GetConfiguration.Request.decode(from: request).key ?? []
            let answer = try GetConfiguration.Response.decode(from: response)
            let entries = (answer.configurationKey ?? []).map {
                ConfigurationEntry(key: $0.key.value, value: $0.value?.value, readonly: $0.readonly)
            }
            try await store.recordConfiguration(
                id, entries, unknownKeys: (answer.unknownKey ?? []).map(\.value), complete: asked.isEmpty, at: at)
        case ChangeConfiguration.name:
            let change = try ChangeConfiguration.Request.decode(from: request)
            if [.accepted, .rebootRequired].contains(try ChangeConfiguration.Response.decode(from: response).status) {
                try await store.changeConfiguration(id, key: change.key.value, value: change.value.value, at: at)
            }
        case ChangeAvailability.name:
            let change = try ChangeAvailability.Request.decode(from: request)
            let status = try ChangeAvailability.Response.decode(from: response).status
            // A Rejected change leaves the connector as it was: there is nothing to record but the command log.
            if status != .rejected {
                try await store.recordAvailability(
                    id, connectorId: change.connectorId,
                    ConnectorAvailability(requested: change.type.rawValue, status: status.rawValue, at: at))
            }
        case SendLocalList.name:
            let list = try SendLocalList.Request.decode(from: request)
            if try SendLocalList.Response.decode(from: response).status == .accepted {
                let entries = (list.localAuthorizationList ?? []).map {
                    LocalListEntry(
                        idTag: $0.idTag.value, status: $0.idTagInfo?.status.rawValue, expiryDate: $0.idTagInfo?.expiryDate,
                        parentIdTag: $0.idTagInfo?.parentIdTag?.value)
                }
                try await store.recordLocalList(
                    id, version: list.listVersion, list.updateType == .full ? .full(entries) : .differential(entries))
            }
        case GetLocalListVersion.name:
            try await store.recordLocalList(id, version: try GetLocalListVersion.Response.decode(from: response).listVersion, .versionOnly)
        case SetChargingProfile.name:
            let set = try SetChargingProfile.Request.decode(from: request)
            if try SetChargingProfile.Response.decode(from: response).status == .accepted {
                let profile = set.csChargingProfiles
                try await store.setChargingProfile(
                    id,
                    StoredChargingProfile(
                        connectorId: set.connectorId, chargingProfileId: profile.chargingProfileId, stackLevel: profile.stackLevel,
                        chargingProfilePurpose: profile.chargingProfilePurpose.rawValue, profile: request["csChargingProfiles"] ?? .null,
                        setAt: at))
            }
        case ClearChargingProfile.name:
            let clear = try ClearChargingProfile.Request.decode(from: request)
            if try ClearChargingProfile.Response.decode(from: response).status == .accepted {
                _ = try await store.clearChargingProfiles(
                    id,
                    ChargingProfileFilter(
                        id: clear.id, connectorId: clear.connectorId, purpose: clear.chargingProfilePurpose?.rawValue,
                        stackLevel: clear.stackLevel))
            }
        case CertificateSigned.name:
            // The certificate the station took is bound to it: what a profile 3 handshake looks for.
            if try CertificateSigned.Response.decode(from: response).status == .accepted,
                let leaf = Certificate.leaf(ofChain: try CertificateSigned.Request.decode(from: request).certificateChain.value)
            {
                try await store.bindCertificate(
                    BoundCertificate(
                        cpId: id, fingerprint: try leaf.fingerprint, serialNumber: leaf.serialHex, notAfter: leaf.notValidAfter,
                        issuedAt: at))
            }
        default:
            // UpdateFirmware, GetDiagnostics and the rest change nothing beyond the command log.
            break
        }
    }
}
