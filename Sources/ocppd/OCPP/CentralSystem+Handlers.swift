import Foundation
import Logging
import Shared

extension CentralSystem {
    /// The handlers of all ten charge-point-initiated actions.
    static func registerHandlers(
        _ router: inout OCPPRouter, store: any Store, events: EventBus, policy: UnknownStationPolicy, heartbeatInterval: Int,
        unknownTags: SightingList, storeRetry: StoreRetry, dataTransferVendors: DataTransferVendors
    ) {
        let authorizer = Authorizer(store: store, unknownTags: unknownTags, storeRetry: storeRetry)

        router.on(BootNotification.self) { request, station in
            let now = Date()
            let info = BootInfo(
                vendor: request.chargePointVendor.value, model: request.chargePointModel.value,
                serialNumber: request.chargePointSerialNumber?.value, chargeBoxSerialNumber: request.chargeBoxSerialNumber?.value,
                firmwareVersion: request.firmwareVersion?.value, iccid: request.iccid?.value, imsi: request.imsi?.value,
                meterType: request.meterType?.value, meterSerialNumber: request.meterSerialNumber?.value)
            let status = try await storeRetry {
                try await store.recordBoot(station.id, info, newStationStatus: policy == .pending ? .pending : .accepted, at: now)
            }
            station.logger.info("boot", metadata: ["status": "\(status.rawValue)", "vendor": "\(info.vendor)", "model": "\(info.model)"])
            await events.publish(
                "station.booted", cpId: station.id,
                [
                    "registrationStatus": .string(status.rawValue), "vendor": .string(info.vendor), "model": .string(info.model),
                    "firmwareVersion": info.firmwareVersion.map { .string($0) } ?? .null,
                ])
            return .init(status: status, currentTime: now, interval: heartbeatInterval)
        }

        // Not a write per Heartbeat: the connection keeps it and CentralSystem saves them in batches. Unless a client
        // follows heartbeat events, it is answered on the connection's event loop, without a task.
        let heartbeat: @Sendable (StationContext) -> Heartbeat.Response = { station in
            let now = Date()
            station.connection.heartbeat(at: now)
            return .init(currentTime: now)
        }
        router.onImmediately(Heartbeat.self, when: { !events.wants("station.heartbeat") }) { _, station in heartbeat(station) }
        router.on(Heartbeat.self) { _, station in
            let response = heartbeat(station)
            await events.publish("station.heartbeat", cpId: station.id)
            return response
        }

        router.on(Authorize.self) { request, station in
            .init(idTagInfo: try await authorizer.info(for: request.idTag.value, station: station.id, connectorId: nil))
        }

        router.on(StartTransaction.self) { request, station in
            let start = TransactionStart(
                cpId: station.id, connectorId: request.connectorId, idTag: request.idTag.value, meterStart: request.meterStart,
                timestamp: request.timestamp, reservationId: request.reservationId)
            // The tag is judged from what the start's own transaction reads: no separate read, and no moment between the
            // judgement and the stored session.
            let (outcome, tag, info) = try await storeRetry {
                try await store.startTransaction(start) { tag in
                    Authorizer.info(tag, station: station.id, connectorId: request.connectorId, checkConcurrent: true)
                }
            }
            if tag.card == nil { await unknownTags.saw(request.idTag.value, at: station.id) }
            await Self.closedStale(outcome.closedStale, connectorId: request.connectorId, at: request.timestamp, station, events)
            station.logger.info(
                outcome.duplicate ? "repeated StartTransaction: same transaction" : "transaction started",
                metadata: ["transactionId": "\(outcome.transactionId)", "connectorId": "\(request.connectorId)"])
            if !outcome.duplicate {
                await events.publish(
                    "transaction.started", cpId: station.id,
                    [
                        "transactionId": .integer(Int64(outcome.transactionId)), "connectorId": .integer(Int64(request.connectorId)),
                        "idTag": .string(request.idTag.value), "idTagStatus": .string(info.status.rawValue),
                        "meterStart": .integer(Int64(request.meterStart)), "timestamp": .string(OCPPDate.format(request.timestamp)),
                    ])
            }
            return .init(idTagInfo: info, transactionId: outcome.transactionId)
        }

        router.on(StopTransaction.self) { request, station in
            let values = (request.transactionData ?? []).flatMap {
                $0.records(cpId: station.id, transactionId: request.transactionId, connectorId: 0)
            }
            let stop = TransactionStop(
                cpId: station.id, transactionId: request.transactionId, idTag: request.idTag?.value, meterStop: request.meterStop,
                timestamp: request.timestamp, reason: request.reason?.rawValue, meterValues: values)
            let outcome = try await storeRetry { try await store.stopTransaction(stop) }
            switch outcome {
            case .stopped(let session):
                station.logger.info("transaction stopped", metadata: ["transactionId": "\(session.transactionId)"])
                await events.publish(
                    "transaction.stopped", cpId: station.id,
                    [
                        "transactionId": .integer(Int64(session.transactionId)), "connectorId": .integer(Int64(session.connectorId)),
                        "meterStop": .integer(Int64(request.meterStop)), "energyWh": session.energyWh.map { .integer(Int64($0)) } ?? .null,
                        "reason": request.reason.map { .string($0.rawValue) } ?? .null,
                        "timestamp": .string(OCPPDate.format(request.timestamp)),
                    ])
            case .alreadyStopped:
                station.logger.info("repeated StopTransaction acknowledged", metadata: ["transactionId": "\(request.transactionId)"])
            case .unknownTransaction:
                station.logger.notice(
                    "StopTransaction for an unknown transaction recorded", metadata: ["transactionId": "\(request.transactionId)"])
            }
            guard let idTag = request.idTag else { return .init() }
            return .init(
                idTagInfo: try await authorizer.info(for: idTag.value, station: station.id, connectorId: nil, checkConcurrent: false))
        }

        router.on(MeterValues.self) { request, station in
            let values = request.meterValue.flatMap {
                $0.records(cpId: station.id, transactionId: request.transactionId, connectorId: request.connectorId)
            }
            try await storeRetry { try await store.recordMeterValues(values) }
            await events.publish(
                "meter.values", cpId: station.id,
                [
                    "connectorId": .integer(Int64(request.connectorId)),
                    "transactionId": request.transactionId.map { .integer(Int64($0)) } ?? .null,
                    "values": .array(values.map { $0.jsonValue }),
                ])
            return .init()
        }

        router.on(StatusNotification.self) { request, station in
            let report = Connector(
                connectorId: request.connectorId, status: request.status.rawValue, errorCode: request.errorCode.rawValue,
                info: request.info?.value, vendorId: request.vendorId?.value, vendorErrorCode: request.vendorErrorCode?.value,
                updatedAt: request.timestamp ?? Date())
            let outcome = try await storeRetry { try await store.recordStatus(station.id, report) }
            await Self.closedStale(outcome.closedStale, connectorId: request.connectorId, at: report.updatedAt, station, events)
            if outcome.current {
                await events.publish(
                    "connector.status", cpId: station.id,
                    [
                        "connectorId": .integer(Int64(request.connectorId)), "status": .string(report.status),
                        "errorCode": .string(report.errorCode), "timestamp": .string(OCPPDate.format(report.updatedAt)),
                    ])
            } else {
                station.logger.info("older StatusNotification kept in history only", metadata: ["connectorId": "\(request.connectorId)"])
            }
            return .init()
        }

        // Kept in the store and published for whatever system implements the vendor's messages; the charger learns
        // whether one is configured for its vendorId (OCPP 1.6 §4.3), never a `data` answer, which only that system has.
        router.on(DataTransfer.self) { request, station in
            let vendorId = request.vendorId.value
            let messageId = request.messageId?.value
            let status: DataTransferStatus = dataTransferVendors.accepts(vendorId) ? .accepted : .unknownVendorId
            try await storeRetry {
                try await store.recordDataTransfer(station.id, vendorId: vendorId, messageId: messageId, data: request.data, at: Date())
            }
            await events.publish(
                "data.transfer", cpId: station.id,
                [
                    "vendorId": .string(vendorId), "messageId": messageId.map(JSONValue.string) ?? .null,
                    "data": request.data.map(JSONValue.string) ?? .null, "status": .string(status.rawValue),
                ])
            return .init(status: status)
        }

        router.on(FirmwareStatusNotification.self) { request, station in
            try await storeRetry {
                try await store.recordFirmwareStatus(station.id, status: request.status.rawValue, requestId: nil, at: Date())
            }
            await events.publish("firmware.status", cpId: station.id, ["status": .string(request.status.rawValue), "requestId": .null])
            return .init()
        }

        router.on(DiagnosticsStatusNotification.self) { request, station in
            try await storeRetry { try await store.recordDiagnosticsStatus(station.id, status: request.status.rawValue, at: Date()) }
            await events.publish("diagnostics.status", cpId: station.id, ["status": .string(request.status.rawValue)])
            return .init()
        }
    }
}

/// Decides the idTagInfo of a tag: Accepted, Blocked, Expired, Invalid (unknown) or ConcurrentTx.
struct Authorizer: Sendable {
    let store: any Store
    let unknownTags: SightingList
    let storeRetry: StoreRetry

    func info(for idTag: String, station: String, connectorId: Int?, checkConcurrent: Bool = true) async throws -> IdTagInfo {
        // Without the concurrency check only the card matters: its one-table read costs MariaDB less than half of the
        // tag state's (a UNION with the tag's active sessions).
        let state =
            checkConcurrent
            ? try await storeRetry { try await store.tagState(idTag) }
            : TagState(card: try await storeRetry { try await store.card(idTag) }, active: nil)
        if state.card == nil { await unknownTags.saw(idTag, at: station) }
        return Self.info(state, station: station, connectorId: connectorId, checkConcurrent: checkConcurrent)
    }

    /// The idTagInfo of a tag in `state`. `connectorId` is the connector a transaction starts on: a session still open
    /// there is stale, not a concurrent one (the store closes it).
    static func info(_ state: TagState, station: String, connectorId: Int?, checkConcurrent: Bool) -> IdTagInfo {
        guard let card = state.card else { return IdTagInfo(status: .invalid) }
        let parent = card.parentIdTag.flatMap { IdToken($0) }
        func info(_ status: AuthorizationStatus) -> IdTagInfo {
            IdTagInfo(status: status, expiryDate: card.expiryDate, parentIdTag: parent)
        }
        if card.status == .blocked { return info(.blocked) }
        if let expiry = card.expiryDate, expiry < Date() { return info(.expired) }
        if checkConcurrent, let active = state.active {
            let sameConnector = connectorId != nil && active.cpId == station && active.connectorId == connectorId
            if !sameConnector { return info(.concurrentTx) }
        }
        return info(.accepted)
    }
}

extension CentralSystem {
    /// Sessions closed because the charger will never stop them: logged, and told to event subscribers as stopped, so
    /// that a live view does not keep showing them.
    static func closedStale(_ ids: [Int], connectorId: Int, at: Date, _ station: StationContext, _ events: EventBus) async {
        guard !ids.isEmpty else { return }
        station.logger.notice("closed stale sessions", metadata: ["connectorId": "\(connectorId)", "transactionIds": "\(ids)"])
        for id in ids {
            await events.publish(
                "transaction.stopped", cpId: station.id,
                [
                    "transactionId": .integer(Int64(id)), "connectorId": .integer(Int64(connectorId)), "meterStop": .null,
                    "energyWh": .null, "reason": .string(Session.staleStopReason), "timestamp": .string(OCPPDate.format(at)),
                ])
        }
    }
}

extension MeterValue {
    /// One record per sampled value, with the specification's defaults filled in.
    func records(cpId: String, transactionId: Int?, connectorId: Int) -> [MeterValueRecord] {
        sampledValue.map { sample in
            MeterValueRecord(
                timestamp: timestamp, cpId: cpId, transactionId: transactionId, connectorId: connectorId,
                measurand: sample.measurand?.rawValue ?? "Energy.Active.Import.Register", value: sample.value,
                unit: sample.unit?.rawValue ?? "Wh", context: sample.context?.rawValue ?? "Sample.Periodic",
                phase: sample.phase?.rawValue, location: sample.location?.rawValue ?? "Outlet", format: sample.format?.rawValue ?? "Raw")
        }
    }
}

/// Retries a store operation while the store reports itself unavailable (a lost connection, a deadlock, a database
/// restarting), with backoff, so that a charge point sees CALLERROR InternalError only when the store stays down for
/// longer than `window`. Each station's messages retry in that station's own task: no lock is held while waiting.
struct StoreRetry: Sendable {
    /// Long enough to ride out a database restart of a few seconds, short enough that a charger (whose own
    /// response timeout is typically 30 s or more) hears the error and keeps the message to resend.
    static let defaultWindow: Duration = .seconds(15)

    let window: Duration
    let firstDelay: Duration
    /// Caps the backoff so that the store is tried again soon after it comes back.
    let maxDelay: Duration
    /// Shared by every copy, and by the store's writer: the store going away and coming back is logged once, not once
    /// per caller.
    let health: StoreHealth

    init(
        window: Duration = Self.defaultWindow, firstDelay: Duration = .milliseconds(50), maxDelay: Duration = .seconds(1),
        health: StoreHealth? = nil
    ) {
        self.window = window
        self.firstDelay = firstDelay
        self.maxDelay = maxDelay
        self.health = health ?? StoreHealth(retryWindow: window)
    }

    func callAsFunction<T: Sendable>(_ operation: @Sendable () async throws -> T) async throws -> T {
        let clock = ContinuousClock()
        let deadline = clock.now + window
        var delay = firstDelay
        while true {
            let began = clock.now
            do {
                let value = try await operation()
                health.answered(callBegan: began)
                return value
            } catch StoreError.unavailable(let reason) where clock.now < deadline {
                health.unavailable(reason)
                // The last attempt is made at the deadline, so the whole window is given to the store.
                try await Task.sleep(for: min(delay, deadline - clock.now))
                delay = min(delay * 2, maxDelay)
            }
        }
    }
}
