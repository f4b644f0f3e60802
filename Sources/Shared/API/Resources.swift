import Foundation

/// A charging station as the REST API shows it.
public struct Station: Codable, Sendable, Equatable {
    public var id: String
    public var registrationStatus: RegistrationStatus
    public var connected: Bool
    /// In a cluster, the id of the node that holds the station's connection; nil when it is not connected (and always
    /// on a single ocppd).
    public var node: String?
    public var vendor: String?
    public var model: String?
    public var serialNumber: String?
    public var chargeBoxSerialNumber: String?
    public var firmwareVersion: String?
    public var iccid: String?
    public var imsi: String?
    public var meterType: String?
    public var meterSerialNumber: String?
    public var description: String?
    /// 0: no station authentication; 1: HTTP Basic; 2: TLS + Basic; 3: mutual TLS.
    public var securityProfile: Int
    public var hasAuthorizationKey: Bool
    public var lastHeartbeatAt: Date?
    public var lastBootAt: Date?
    public var firmwareStatus: String?
    /// The requestId of the SignedUpdateFirmware the last firmware status is about.
    public var firmwareRequestId: Int?
    public var diagnosticsStatus: String?
    /// The last LogStatusNotification's status and the requestId of the GetLog it is about.
    public var logStatus: String?
    public var logRequestId: Int?
    /// The security profile the station's current connection satisfied (0 to 3); nil when it is not connected.
    public var connectedSecurityProfile: Int?
    /// The site whose grid connection the station shares (§10); nil: none.
    public var siteId: String?
    public var createdAt: Date
    public var connectors: [Connector]
    /// The version of the local authorization list, as last sent or read (-1: the station does not support one).
    public var localListVersion: Int?
    // Detail only (GET /api/stations/{cpId}); nil in lists, where they would cost a query per station.
    /// The configuration the last GetConfiguration returned, with later accepted ChangeConfiguration values.
    public var configuration: [ConfigurationEntry]?
    public var configurationReadAt: Date?
    /// Keys a GetConfiguration asked for that the station did not know.
    public var unknownConfigurationKeys: [String]?
    /// Profiles the station accepted through SetChargingProfile and that no ClearChargingProfile (or, for a TxProfile,
    /// the end of its transaction) removed.
    public var chargingProfiles: [StoredChargingProfile]?
    /// The local authorization list as accepted SendLocalList requests left it, by idTag.
    public var localList: [LocalListEntry]?
    public var lastFirmwareUpdate: CommandRecord?
    public var lastDiagnosticsRequest: CommandRecord?
    /// The client certificate ocppd bound to the station last (issued by its station CA or signed by an operator).
    public var certificate: StationCertificate?

    public init(
        id: String, registrationStatus: RegistrationStatus, connected: Bool = false, vendor: String? = nil, model: String? = nil,
        serialNumber: String? = nil, chargeBoxSerialNumber: String? = nil, firmwareVersion: String? = nil, iccid: String? = nil,
        imsi: String? = nil, meterType: String? = nil, meterSerialNumber: String? = nil, description: String? = nil,
        securityProfile: Int = 0, hasAuthorizationKey: Bool = false, lastHeartbeatAt: Date? = nil, lastBootAt: Date? = nil,
        firmwareStatus: String? = nil, diagnosticsStatus: String? = nil, createdAt: Date, connectors: [Connector] = []
    ) {
        self.id = id
        self.registrationStatus = registrationStatus
        self.connected = connected
        self.vendor = vendor
        self.model = model
        self.serialNumber = serialNumber
        self.chargeBoxSerialNumber = chargeBoxSerialNumber
        self.firmwareVersion = firmwareVersion
        self.iccid = iccid
        self.imsi = imsi
        self.meterType = meterType
        self.meterSerialNumber = meterSerialNumber
        self.description = description
        self.securityProfile = securityProfile
        self.hasAuthorizationKey = hasAuthorizationKey
        self.lastHeartbeatAt = lastHeartbeatAt
        self.lastBootAt = lastBootAt
        self.firmwareStatus = firmwareStatus
        self.diagnosticsStatus = diagnosticsStatus
        self.createdAt = createdAt
        self.connectors = connectors
    }
}

/// One configuration key as the charge point reported it.
public struct ConfigurationEntry: Codable, Sendable, Equatable {
    public var key: String
    public var value: String?
    public var readonly: Bool

    public init(key: String, value: String?, readonly: Bool) {
        self.key = key
        self.value = value
        self.readonly = readonly
    }
}

/// The availability a ChangeAvailability asked for and the station's answer to it.
public struct ConnectorAvailability: Codable, Sendable, Equatable {
    /// Operative or Inoperative.
    public var requested: String
    /// Accepted, or Scheduled when the station applies it after the running transaction.
    public var status: String
    public var at: Date

    public init(requested: String, status: String, at: Date) {
        self.requested = requested
        self.status = status
        self.at = at
    }
}

/// One entry of a station's local authorization list, as the central system last sent it.
public struct LocalListEntry: Codable, Sendable, Equatable {
    public var idTag: String
    /// The idTagInfo status; nil in a Differential update removes the tag.
    public var status: String?
    public var expiryDate: Date?
    public var parentIdTag: String?

    public init(idTag: String, status: String?, expiryDate: Date? = nil, parentIdTag: String? = nil) {
        self.idTag = idTag
        self.status = status
        self.expiryDate = expiryDate
        self.parentIdTag = parentIdTag
    }
}

/// A charging profile a station accepted, as it was sent.
public struct StoredChargingProfile: Codable, Sendable, Equatable {
    public var connectorId: Int
    public var chargingProfileId: Int
    public var stackLevel: Int
    public var chargingProfilePurpose: String
    /// The csChargingProfiles object of the SetChargingProfile request.
    public var profile: JSONValue
    public var setAt: Date

    public init(
        connectorId: Int, chargingProfileId: Int, stackLevel: Int, chargingProfilePurpose: String, profile: JSONValue, setAt: Date
    ) {
        self.connectorId = connectorId
        self.chargingProfileId = chargingProfileId
        self.stackLevel = stackLevel
        self.chargingProfilePurpose = chargingProfilePurpose
        self.profile = profile
        self.setAt = setAt
    }
}

/// A command sent to a station and how it ended.
public struct CommandRecord: Codable, Sendable, Equatable {
    public var cpId: String
    /// The OCPP action, e.g. UpdateFirmware.
    public var action: String
    public var request: JSONValue
    /// The charge point's CALLRESULT payload; nil when it failed.
    public var response: JSONValue?
    /// Why it failed (CALLERROR, timeout, ...); nil when answered.
    public var error: String?
    public var at: Date

    public init(cpId: String, action: String, request: JSONValue, response: JSONValue?, error: String? = nil, at: Date) {
        self.cpId = cpId
        self.action = action
        self.request = request
        self.response = response
        self.error = error
        self.at = at
    }
}

/// One connector's current status; connectorId 0 is the station itself.
public struct Connector: Codable, Sendable, Equatable {
    public var connectorId: Int
    public var status: String
    public var errorCode: String
    public var info: String?
    public var vendorId: String?
    public var vendorErrorCode: String?
    /// The station's timestamp of this status (or the time it was received when the station sent none).
    public var updatedAt: Date
    /// The last ChangeAvailability the station accepted or scheduled for this connector (or for connector 0).
    public var availability: ConnectorAvailability?

    public init(
        connectorId: Int, status: String, errorCode: String, info: String? = nil, vendorId: String? = nil,
        vendorErrorCode: String? = nil, updatedAt: Date, availability: ConnectorAvailability? = nil
    ) {
        self.connectorId = connectorId
        self.status = status
        self.errorCode = errorCode
        self.info = info
        self.vendorId = vendorId
        self.vendorErrorCode = vendorErrorCode
        self.updatedAt = updatedAt
        self.availability = availability
    }
}

/// A charging session (an OCPP transaction).
public struct Session: Codable, Sendable, Equatable {
    public var transactionId: Int
    public var cpId: String
    public var connectorId: Int
    public var idTag: String
    /// The tag's status when the transaction started (a non-Accepted tag still gets a session).
    public var idTagStatus: String
    public var stopIdTag: String?
    public var meterStart: Int
    public var meterStop: Int?
    public var energyWh: Int?
    public var startedAt: Date
    public var stoppedAt: Date?
    public var stopReason: String?
    public var reservationId: Int?
    public var active: Bool
    /// An active session's last reported power (Power.Active.Import, in W; its phases summed when only they are
    /// reported); nil before any, and for a session that ended.
    public var lastPowerW: Double?
    /// When an active session's charger last sent a meter value.
    public var lastMeterValueAt: Date?

    public init(
        transactionId: Int, cpId: String, connectorId: Int, idTag: String, idTagStatus: String, stopIdTag: String? = nil,
        meterStart: Int, meterStop: Int? = nil, energyWh: Int? = nil, startedAt: Date, stoppedAt: Date? = nil,
        stopReason: String? = nil, reservationId: Int? = nil, active: Bool, lastPowerW: Double? = nil, lastMeterValueAt: Date? = nil
    ) {
        self.transactionId = transactionId
        self.cpId = cpId
        self.connectorId = connectorId
        self.idTag = idTag
        self.idTagStatus = idTagStatus
        self.stopIdTag = stopIdTag
        self.meterStart = meterStart
        self.meterStop = meterStop
        self.energyWh = energyWh
        self.startedAt = startedAt
        self.stoppedAt = stoppedAt
        self.stopReason = stopReason
        self.reservationId = reservationId
        self.active = active
        self.lastPowerW = lastPowerW
        self.lastMeterValueAt = lastMeterValueAt
    }
}

extension Session {
    /// The stop reason of a session the charger will never stop, closed by ocppd: a newer StartTransaction came on its
    /// connector, or the connector reported Available.
    public static let staleStopReason = "StaleSession"

    /// Energy between two meter readings in Wh; nil when a station's numbers cannot be subtracted (it would overflow).
    public static func energyWh(meterStart: Int, meterStop: Int) -> Int? {
        let (energy, overflow) = meterStop.subtractingReportingOverflow(meterStart)
        return overflow ? nil : energy
    }

    /// Energy from `meterStart` to an energy register reading in Wh, rounded; nil when negative or not a number an Int holds.
    public static func energyWh(meterStart: Int, register: Double) -> Int? {
        let energy = (register - Double(meterStart)).rounded()
        return energy >= 0 && energy < Double(Int.max) ? Int(energy) : nil
    }
}

/// One sampled value of a MeterValues or a StopTransaction's transactionData.
public struct MeterValueRecord: Codable, Sendable, Equatable {
    public var timestamp: Date
    public var cpId: String
    /// As the station sent it; may name no known session (0, -1, unknown ids are recorded too).
    public var transactionId: Int?
    public var connectorId: Int
    public var measurand: String
    public var value: String
    public var unit: String?
    public var context: String?
    public var phase: String?
    public var location: String?
    public var format: String?

    public init(
        timestamp: Date, cpId: String, transactionId: Int?, connectorId: Int, measurand: String, value: String,
        unit: String? = nil, context: String? = nil, phase: String? = nil, location: String? = nil, format: String? = nil
    ) {
        self.timestamp = timestamp
        self.cpId = cpId
        self.transactionId = transactionId
        self.connectorId = connectorId
        self.measurand = measurand
        self.value = value
        self.unit = unit
        self.context = context
        self.phase = phase
        self.location = location
        self.format = format
    }
}

/// An RFID card (idTag) known to the central system.
public struct RfidCard: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        case accepted = "Accepted"
        case blocked = "Blocked"
    }

    public var idTag: String
    public var status: Status
    public var expiryDate: Date?
    public var parentIdTag: String?
    public var description: String?
    public var createdAt: Date

    public init(
        idTag: String, status: Status, expiryDate: Date? = nil, parentIdTag: String? = nil, description: String? = nil,
        createdAt: Date
    ) {
        self.idTag = idTag
        self.status = status
        self.expiryDate = expiryDate
        self.parentIdTag = parentIdTag
        self.description = description
        self.createdAt = createdAt
    }
}

/// A connector reservation.
public struct Reservation: Codable, Sendable, Equatable {
    public var reservationId: Int
    public var cpId: String
    public var connectorId: Int
    public var idTag: String
    public var parentIdTag: String?
    public var expiryDate: Date
    /// Requested, Accepted, Faulted, Occupied, Rejected, Unavailable, Cancelled, Used, Expired.
    public var status: String
    public var createdAt: Date

    public init(
        reservationId: Int, cpId: String, connectorId: Int, idTag: String, parentIdTag: String? = nil, expiryDate: Date,
        status: String, createdAt: Date
    ) {
        self.reservationId = reservationId
        self.cpId = cpId
        self.connectorId = connectorId
        self.idTag = idTag
        self.parentIdTag = parentIdTag
        self.expiryDate = expiryDate
        self.status = status
        self.createdAt = createdAt
    }
}

/// A station or tag that was seen but is not known, kept so an operator can adopt it.
public struct UnknownSighting: Codable, Sendable, Equatable {
    public var id: String
    public var firstSeenAt: Date
    public var lastSeenAt: Date
    public var count: Int
    /// Where it was seen: the remote address of a station, the station that presented a tag.
    public var seenAt: String?

    public init(id: String, firstSeenAt: Date, lastSeenAt: Date, count: Int, seenAt: String?) {
        self.id = id
        self.firstSeenAt = firstSeenAt
        self.lastSeenAt = lastSeenAt
        self.count = count
        self.seenAt = seenAt
    }
}

// Optional fields are written as null rather than left out, so every resource always carries
// every field its documentation names.

extension Station {
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(registrationStatus, forKey: .registrationStatus)
        try container.encode(connected, forKey: .connected)
        try container.encode(node, forKey: .node)
        try container.encode(vendor, forKey: .vendor)
        try container.encode(model, forKey: .model)
        try container.encode(serialNumber, forKey: .serialNumber)
        try container.encode(chargeBoxSerialNumber, forKey: .chargeBoxSerialNumber)
        try container.encode(firmwareVersion, forKey: .firmwareVersion)
        try container.encode(iccid, forKey: .iccid)
        try container.encode(imsi, forKey: .imsi)
        try container.encode(meterType, forKey: .meterType)
        try container.encode(meterSerialNumber, forKey: .meterSerialNumber)
        try container.encode(description, forKey: .description)
        try container.encode(securityProfile, forKey: .securityProfile)
        try container.encode(hasAuthorizationKey, forKey: .hasAuthorizationKey)
        try container.encode(lastHeartbeatAt, forKey: .lastHeartbeatAt)
        try container.encode(lastBootAt, forKey: .lastBootAt)
        try container.encode(firmwareStatus, forKey: .firmwareStatus)
        try container.encode(firmwareRequestId, forKey: .firmwareRequestId)
        try container.encode(diagnosticsStatus, forKey: .diagnosticsStatus)
        try container.encode(logStatus, forKey: .logStatus)
        try container.encode(logRequestId, forKey: .logRequestId)
        try container.encode(connectedSecurityProfile, forKey: .connectedSecurityProfile)
        try container.encode(siteId, forKey: .siteId)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(connectors, forKey: .connectors)
        try container.encode(localListVersion, forKey: .localListVersion)
        try container.encode(configuration, forKey: .configuration)
        try container.encode(configurationReadAt, forKey: .configurationReadAt)
        try container.encode(unknownConfigurationKeys, forKey: .unknownConfigurationKeys)
        try container.encode(chargingProfiles, forKey: .chargingProfiles)
        try container.encode(localList, forKey: .localList)
        try container.encode(lastFirmwareUpdate, forKey: .lastFirmwareUpdate)
        try container.encode(lastDiagnosticsRequest, forKey: .lastDiagnosticsRequest)
        try container.encode(certificate, forKey: .certificate)
    }
}

extension LocalListEntry {
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(idTag, forKey: .idTag)
        try container.encode(status, forKey: .status)
        try container.encode(expiryDate, forKey: .expiryDate)
        try container.encode(parentIdTag, forKey: .parentIdTag)
    }
}

extension Connector {
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(connectorId, forKey: .connectorId)
        try container.encode(status, forKey: .status)
        try container.encode(errorCode, forKey: .errorCode)
        try container.encode(info, forKey: .info)
        try container.encode(vendorId, forKey: .vendorId)
        try container.encode(vendorErrorCode, forKey: .vendorErrorCode)
        try container.encode(updatedAt, forKey: .updatedAt)
        try container.encode(availability, forKey: .availability)
    }
}

extension Session {
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(transactionId, forKey: .transactionId)
        try container.encode(cpId, forKey: .cpId)
        try container.encode(connectorId, forKey: .connectorId)
        try container.encode(idTag, forKey: .idTag)
        try container.encode(idTagStatus, forKey: .idTagStatus)
        try container.encode(stopIdTag, forKey: .stopIdTag)
        try container.encode(meterStart, forKey: .meterStart)
        try container.encode(meterStop, forKey: .meterStop)
        try container.encode(energyWh, forKey: .energyWh)
        try container.encode(startedAt, forKey: .startedAt)
        try container.encode(stoppedAt, forKey: .stoppedAt)
        try container.encode(stopReason, forKey: .stopReason)
        try container.encode(reservationId, forKey: .reservationId)
        try container.encode(active, forKey: .active)
        try container.encode(lastPowerW, forKey: .lastPowerW)
        try container.encode(lastMeterValueAt, forKey: .lastMeterValueAt)
    }
}

extension MeterValueRecord {
    /// What `encode(to:)` writes, built directly: every meter.values event carries these, and going through
    /// JSONEncoder and back cost more than storing the values.
    public var jsonValue: JSONValue {
        func text(_ value: String?) -> JSONValue { value.map { .string($0) } ?? .null }
        return [
            "timestamp": .string(OCPPDate.format(timestamp)), "cpId": .string(cpId),
            "transactionId": transactionId.map { .integer(Int64($0)) } ?? .null, "connectorId": .integer(Int64(connectorId)),
            "measurand": .string(measurand), "value": .string(value), "unit": text(unit), "context": text(context),
            "phase": text(phase), "location": text(location), "format": text(format),
        ]
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(timestamp, forKey: .timestamp)
        try container.encode(cpId, forKey: .cpId)
        try container.encode(transactionId, forKey: .transactionId)
        try container.encode(connectorId, forKey: .connectorId)
        try container.encode(measurand, forKey: .measurand)
        try container.encode(value, forKey: .value)
        try container.encode(unit, forKey: .unit)
        try container.encode(context, forKey: .context)
        try container.encode(phase, forKey: .phase)
        try container.encode(location, forKey: .location)
        try container.encode(format, forKey: .format)
    }
}

extension RfidCard {
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(idTag, forKey: .idTag)
        try container.encode(status, forKey: .status)
        try container.encode(expiryDate, forKey: .expiryDate)
        try container.encode(parentIdTag, forKey: .parentIdTag)
        try container.encode(description, forKey: .description)
        try container.encode(createdAt, forKey: .createdAt)
    }
}

extension Reservation {
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(reservationId, forKey: .reservationId)
        try container.encode(cpId, forKey: .cpId)
        try container.encode(connectorId, forKey: .connectorId)
        try container.encode(idTag, forKey: .idTag)
        try container.encode(parentIdTag, forKey: .parentIdTag)
        try container.encode(expiryDate, forKey: .expiryDate)
        try container.encode(status, forKey: .status)
        try container.encode(createdAt, forKey: .createdAt)
    }
}

extension UnknownSighting {
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(firstSeenAt, forKey: .firstSeenAt)
        try container.encode(lastSeenAt, forKey: .lastSeenAt)
        try container.encode(count, forKey: .count)
        try container.encode(seenAt, forKey: .seenAt)
    }
}

extension CommandRecord {
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(cpId, forKey: .cpId)
        try container.encode(action, forKey: .action)
        try container.encode(request, forKey: .request)
        try container.encode(response, forKey: .response)
        try container.encode(error, forKey: .error)
        try container.encode(at, forKey: .at)
    }
}
