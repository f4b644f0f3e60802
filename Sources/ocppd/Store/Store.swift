import Foundation
import Shared

/// What the store failed at. `unavailable` is transient (retried); the rest are answers.
public enum StoreError: Error, Sendable, Equatable {
    /// The database could not be reached or stayed locked; the operation was not applied.
    case unavailable(String)
    /// A uniqueness rule refused the write (an RFID card that exists already, ...).
    case conflict(String)
    case notFound(String)
    /// A bug or a corrupt database: the message says what.
    case failed(String)
}

/// Filters of GET /api/sessions.
public struct SessionFilter: Sendable, Equatable {
    public var cpId: String?
    public var idTag: String?
    public var active: Bool?
    /// Sessions started at or after.
    public var since: Date?
    /// Sessions started before.
    public var until: Date?

    public init(cpId: String? = nil, idTag: String? = nil, active: Bool? = nil, since: Date? = nil, until: Date? = nil) {
        self.cpId = cpId
        self.idTag = idTag
        self.active = active
        self.since = since
        self.until = until
    }
}

/// A page of a list and the total count without limit and offset.
public struct Page<T: Sendable>: Sendable {
    public var items: [T]
    public var total: Int

    public init(items: [T], total: Int) {
        self.items = items
        self.total = total
    }
}

/// Limit and offset of a list request.
public struct PageRequest: Sendable, Equatable {
    public var limit: Int
    public var offset: Int

    public init(limit: Int = 100, offset: Int = 0) {
        self.limit = limit
        self.offset = offset
    }
}

/// Changes of PUT /api/stations/{cpId}; nil fields stay as they are.
public struct StationUpdate: Sendable, Equatable {
    public var registrationStatus: RegistrationStatus?
    /// Salted hash of the station's authorization key (see `StationKeyHash`); `.some(nil)` removes it.
    public var authorizationKeyHash: String??
    public var securityProfile: Int?
    public var description: String??
    /// The site the station joins; `.some(nil)` leaves its site.
    public var siteId: String??

    public init(
        registrationStatus: RegistrationStatus? = nil, authorizationKeyHash: String?? = nil, securityProfile: Int? = nil,
        description: String?? = nil, siteId: String?? = nil
    ) {
        self.registrationStatus = registrationStatus
        self.authorizationKeyHash = authorizationKeyHash
        self.securityProfile = securityProfile
        self.description = description
        self.siteId = siteId
    }
}

/// What a handshake checks of a known station.
public struct StationAccess: Sendable, Equatable {
    public var securityProfile: Int
    /// The salted hash of the station's authorization key, nil when it has none.
    public var keyHash: String?
    /// A higher profile the station accepted by ChangeConfiguration SecurityProfile, required of it from its first
    /// connection on that profile (`raiseSecurityProfile`).
    public var pendingSecurityProfile: Int?

    public init(securityProfile: Int, keyHash: String?, pendingSecurityProfile: Int? = nil) {
        self.securityProfile = securityProfile
        self.keyHash = keyHash
        self.pendingSecurityProfile = pendingSecurityProfile
    }
}

/// What a BootNotification tells about a station.
public struct BootInfo: Sendable, Equatable {
    public var vendor: String
    public var model: String
    public var serialNumber: String?
    public var chargeBoxSerialNumber: String?
    public var firmwareVersion: String?
    public var iccid: String?
    public var imsi: String?
    public var meterType: String?
    public var meterSerialNumber: String?

    public init(
        vendor: String, model: String, serialNumber: String? = nil, chargeBoxSerialNumber: String? = nil,
        firmwareVersion: String? = nil, iccid: String? = nil, imsi: String? = nil, meterType: String? = nil,
        meterSerialNumber: String? = nil
    ) {
        self.vendor = vendor
        self.model = model
        self.serialNumber = serialNumber
        self.chargeBoxSerialNumber = chargeBoxSerialNumber
        self.firmwareVersion = firmwareVersion
        self.iccid = iccid
        self.imsi = imsi
        self.meterType = meterType
        self.meterSerialNumber = meterSerialNumber
    }
}

/// A StartTransaction as stored.
public struct TransactionStart: Sendable, Equatable {
    public var cpId: String
    public var connectorId: Int
    public var idTag: String
    public var meterStart: Int
    public var timestamp: Date
    public var reservationId: Int?

    public init(
        cpId: String, connectorId: Int, idTag: String, meterStart: Int, timestamp: Date, reservationId: Int? = nil
    ) {
        self.cpId = cpId
        self.connectorId = connectorId
        self.idTag = idTag
        self.meterStart = meterStart
        self.timestamp = timestamp
        self.reservationId = reservationId
    }
}

/// What authorizing a tag needs: its card (nil when unknown) and where it charges now.
public struct TagState: Sendable, Equatable {
    public var card: RfidCard?
    public var active: ActiveCharge?
}

/// The active session of a tag: which transaction, on which station's connector.
public struct ActiveCharge: Sendable, Equatable {
    public var transactionId: Int
    public var cpId: String
    public var connectorId: Int
}

/// The outcome of storing a StatusNotification.
public struct StatusOutcome: Sendable, Equatable {
    /// Whether the report became the connector's current status (it was not older than the current one).
    public var current: Bool
    /// Sessions on the connector closed as stale because it reported Available.
    public var closedStale: [Int] = []
}

/// The outcome of storing a StartTransaction.
public struct StartOutcome: Sendable, Equatable {
    public var transactionId: Int
    /// True when this was a resend of a start already stored: the same id is returned.
    public var duplicate: Bool
    /// Sessions on the same connector that were still active and were closed as stale.
    public var closedStale: [Int]

    public init(transactionId: Int, duplicate: Bool, closedStale: [Int]) {
        self.transactionId = transactionId
        self.duplicate = duplicate
        self.closedStale = closedStale
    }
}

/// A StopTransaction as stored.
public struct TransactionStop: Sendable, Equatable {
    public var cpId: String
    public var transactionId: Int
    public var idTag: String?
    public var meterStop: Int
    public var timestamp: Date
    public var reason: String?
    /// transactionData, flattened.
    public var meterValues: [MeterValueRecord]

    public init(
        cpId: String, transactionId: Int, idTag: String?, meterStop: Int, timestamp: Date, reason: String?,
        meterValues: [MeterValueRecord]
    ) {
        self.cpId = cpId
        self.transactionId = transactionId
        self.idTag = idTag
        self.meterStop = meterStop
        self.timestamp = timestamp
        self.reason = reason
        self.meterValues = meterValues
    }
}

/// The outcome of storing a StopTransaction.
public enum StopOutcome: Sendable, Equatable {
    /// The session was active and is now stopped.
    case stopped(Session)
    /// The session was stopped already (a resend); nothing changed but the meter values were kept.
    case alreadyStopped(Session)
    /// No such session (unknown, 0, -1): recorded as an orphan stop.
    case unknownTransaction
}

/// The persistent state of ocppd. Every write returns only once it is durably committed.
/// Implementations: `SQLiteStore` (default) and `MariaDBStore` (production).
public protocol Store: Sendable {
    /// Runs migrations; fails when the database schema is newer than this binary knows.
    func migrate() async throws

    /// True when the database answers.
    func ping() async -> Bool

    func close() async

    // MARK: Stations

    func station(_ id: String) async throws -> Station?
    /// Stations by id, with their connectors; `connected` is left false (the caller knows who is connected).
    func stations(_ page: PageRequest) async throws -> Page<Station>
    /// What a handshake checks of a station, in one read; nil for an unknown station.
    func stationAccess(_ id: String) async throws -> StationAccess?
    /// Creates or changes a station; returns it and whether it was created.
    func putStation(_ id: String, _ update: StationUpdate) async throws -> (station: Station, created: Bool)
    /// Removes a station and its connectors (sessions and meter values are kept); returns it as it was, nil if it did
    /// not exist.
    func deleteStation(_ id: String) async throws -> Station?
    /// Creates the station with `status` unless it exists (a station connecting unannounced). False if it existed.
    func registerStation(_ id: String, status: RegistrationStatus, at: Date) async throws -> Bool
    /// Records a boot, creating the station with `newStationStatus` if it is unknown; returns its registration status
    /// (a known station keeps its own), the answer to the boot.
    func recordBoot(_ id: String, _ info: BootInfo, newStationStatus: RegistrationStatus, at: Date) async throws
        -> RegistrationStatus
    /// Stores the last Heartbeat of each station, in one transaction (ocppd saves them in batches).
    func recordHeartbeats(_ heartbeats: [(id: String, at: Date)]) async throws
    /// Stores the report in the history; it becomes the connector's current status only when it is not
    /// older than the current one. A connector that became Available has no transaction: sessions still open on it
    /// that started before are closed as stale.
    func recordStatus(_ id: String, _ report: Connector) async throws -> StatusOutcome
    func statusHistory(_ id: String, connectorId: Int?, _ page: PageRequest) async throws -> Page<Connector>
    /// A FirmwareStatusNotification (`requestId` nil) or a SignedFirmwareStatusNotification.
    func recordFirmwareStatus(_ id: String, status: String, requestId: Int?, at: Date) async throws
    func recordLogStatus(_ id: String, status: String, requestId: Int?, at: Date) async throws
    func recordDiagnosticsStatus(_ id: String, status: String, at: Date) async throws
    func recordDataTransfer(_ id: String, vendorId: String, messageId: String?, data: String?, at: Date) async throws

    // MARK: RFID cards

    func card(_ idTag: String) async throws -> RfidCard?
    func cards(_ page: PageRequest) async throws -> Page<RfidCard>
    /// Throws `.conflict` when the tag exists.
    func createCard(_ card: RfidCard) async throws
    /// Returns the changed card, nil when unknown.
    func setCardStatus(_ idTag: String, _ status: RfidCard.Status) async throws -> RfidCard?
    /// Deletes a card; returns it as it was, nil if it did not exist.
    func deleteCard(_ idTag: String) async throws -> RfidCard?

    // MARK: Sessions

    /// The tag's card and its active session on any station (for ConcurrentTx), in one read: every Authorize asks.
    func tagState(_ idTag: String) async throws -> TagState
    /// Stores a start whose tag is judged in the same transaction, from the same read as its connector's sessions:
    /// `authorize` gets the tag's state and says the status the session keeps; the outcome carries both.
    func startTransaction(
        _ start: TransactionStart, authorize: @escaping @Sendable (TagState) -> IdTagInfo
    ) async throws -> (StartOutcome, tag: TagState, info: IdTagInfo)
    func stopTransaction(_ stop: TransactionStop) async throws -> StopOutcome
    /// Stores sampled values; `transactionId` may name no known session.
    func recordMeterValues(_ values: [MeterValueRecord]) async throws
    func session(_ transactionId: Int) async throws -> Session?
    /// Newest first by start time, ties by transactionId descending.
    func sessions(_ filter: SessionFilter, _ page: PageRequest) async throws -> Page<Session>
    /// The sessions that come after `after` in the list's order (newest first), `limit` at most: for reading a whole list
    /// page by page while sessions start.
    func sessions(_ filter: SessionFilter, after: Session?, limit: Int) async throws -> [Session]
    func meterValues(transactionId: Int, _ page: PageRequest) async throws -> Page<MeterValueRecord>
    /// One step of giving the meter values stored before sample keys existed their key and removing those that repeat
    /// a value already kept (see `SQLStore.keyStoredMeterValues`); resumable across restarts.
    func keyStoredMeterValues(batchSize: Int, owner: String, leaseSeconds: Int) async throws -> MeterValueKeying

    // MARK: Reservations

    /// Newest first by creation, ties by reservationId descending.
    func reservations(_ page: PageRequest) async throws -> Page<Reservation>
    func reservation(_ reservationId: Int) async throws -> Reservation?
    /// Stores a reservation as `Requested` before ReserveNow is sent, allocating its id when the request has none.
    /// Throws `.conflict` when the id is taken.
    func createReservation(_ request: ReservationRequest) async throws -> Reservation
    /// Records the charge point's answer or a later change (Accepted, Rejected, Cancelled, Expired...); nil when unknown.
    func setReservationStatus(_ reservationId: Int, _ status: String) async throws -> Reservation?

    // MARK: What commands changed

    /// One station with what its commands left behind: configuration, charging profiles, local list, last firmware and
    /// diagnostics requests.
    func stationDetail(_ id: String) async throws -> Station?
    /// Logs a command sent to a station, answered or not.
    func recordCommand(_ record: CommandRecord) async throws
    /// The command log, newest first; all stations when `cpId` is nil.
    func commands(cpId: String?, _ page: PageRequest) async throws -> Page<CommandRecord>
    /// Stores what GetConfiguration returned. `complete` (no keys asked for) replaces the whole configuration;
    /// otherwise only the keys named change.
    func recordConfiguration(_ id: String, _ entries: [ConfigurationEntry], unknownKeys: [String], complete: Bool, at: Date)
        async throws
    /// A ChangeConfiguration the station accepted: the key's value changes, its readonly flag stays. SecurityProfile
    /// above the profile ocppd requires of the station makes it the station's pending profile.
    func changeConfiguration(_ id: String, key: String, value: String, at: Date) async throws
    /// The station connected on its pending profile: that profile is required of it from now on (a connection on the
    /// old one is refused, as the white paper's migration asks). False when it was no longer pending.
    func raiseSecurityProfile(_ id: String, to profile: Int) async throws -> Bool
    /// A ChangeAvailability the station accepted or scheduled; connector 0 also applies to every known connector.
    func recordAvailability(_ id: String, connectorId: Int, _ availability: ConnectorAvailability) async throws
    /// A SendLocalList the station accepted, or the version a GetLocalListVersion read (0: the station's list is empty,
    /// -1: it has none; either way no entries are kept).
    func recordLocalList(_ id: String, version: Int, _ change: LocalListChange) async throws
    /// A profile the station accepted; it replaces one with the same id, or the same connector, purpose and stack level.
    func setChargingProfile(_ id: String, _ profile: StoredChargingProfile) async throws
    /// Removes the profiles a ClearChargingProfile the station accepted names; returns how many.
    func clearChargingProfiles(_ id: String, _ filter: ChargingProfileFilter) async throws -> Int
    /// A new id for a request whose id the central system chooses (GetLog, SignedUpdateFirmware): unique, positive.
    func allocateRequestId(_ id: String, action: String) async throws -> Int

    // MARK: Security (the white paper's messages)

    func recordSecurityEvent(_ event: SecurityEvent) async throws
    /// Newest first by the station's timestamp; every station's when `cpId` is nil.
    func securityEvents(cpId: String?, _ page: PageRequest) async throws -> Page<SecurityEvent>
    /// Keeps a SignCertificate's request with its first status (`reason` for a rejected one).
    func createCertificateRequest(cpId: String, csr: String, status: CertificateRequest.Status, reason: String?, at: Date) async throws
        -> CertificateRequest
    func certificateRequest(_ id: Int) async throws -> CertificateRequest?
    /// Newest first; filtered by station and status when given.
    func certificateRequests(cpId: String?, status: CertificateRequest.Status?, _ page: PageRequest) async throws
        -> Page<CertificateRequest>
    /// Decides a pending request (signed or rejected) or notes why it is still pending; nil when unknown. Throws `.conflict`
    /// when it is no longer pending.
    func decideCertificateRequest(_ id: Int, _ status: CertificateRequest.Status, reason: String?, at: Date) async throws
        -> CertificateRequest?
    /// Binds a certificate a station accepted (CertificateSigned) to that station.
    func bindCertificate(_ certificate: BoundCertificate) async throws
    /// The station a certificate (by the hex SHA-256 of its DER) was bound to; nil when ocppd never bound it.
    func certificateHolder(fingerprint: String) async throws -> String?
}

/// A client certificate bound to a station, found by its fingerprint at a profile 3 handshake.
public struct BoundCertificate: Sendable, Equatable {
    public var cpId: String
    /// Lower-case hex of the SHA-256 of its DER.
    public var fingerprint: String
    public var serialNumber: String
    public var notAfter: Date
    public var issuedAt: Date

    public init(cpId: String, fingerprint: String, serialNumber: String, notAfter: Date, issuedAt: Date) {
        self.cpId = cpId
        self.fingerprint = fingerprint
        self.serialNumber = serialNumber
        self.notAfter = notAfter
        self.issuedAt = issuedAt
    }
}

/// How a local list version came to be.
public enum LocalListChange: Sendable, Equatable {
    /// SendLocalList Full: the entries are the whole list.
    case full([LocalListEntry])
    /// SendLocalList Differential: entries with a status are added or changed, those without are removed.
    case differential([LocalListEntry])
    /// GetLocalListVersion: only the version is known.
    case versionOnly
}

/// The criteria of ClearChargingProfile: an id alone, or any of the others together; none clears all.
public struct ChargingProfileFilter: Sendable, Equatable {
    public var id: Int?
    public var connectorId: Int?
    public var purpose: String?
    public var stackLevel: Int?

    public init(id: Int? = nil, connectorId: Int? = nil, purpose: String? = nil, stackLevel: Int? = nil) {
        self.id = id
        self.connectorId = connectorId
        self.purpose = purpose
        self.stackLevel = stackLevel
    }
}

extension Reservation {
    /// The status as of `now`: a reservation still waiting or held past its expiry date is Expired. Computed on read
    /// so that no sweeper has to run and every backend agrees.
    public func expiring(now: Date = Date()) -> Reservation {
        var copy = self
        if ["Requested", "Accepted"].contains(status), expiryDate <= now { copy.status = "Expired" }
        return copy
    }
}

/// A reservation about to be sent with ReserveNow.
public struct ReservationRequest: Sendable, Equatable {
    /// Given by the operator, or nil to let the store allocate one.
    public var reservationId: Int?
    public var cpId: String
    public var connectorId: Int
    public var idTag: String
    public var parentIdTag: String?
    public var expiryDate: Date

    public init(reservationId: Int? = nil, cpId: String, connectorId: Int, idTag: String, parentIdTag: String? = nil, expiryDate: Date) {
        self.reservationId = reservationId
        self.cpId = cpId
        self.connectorId = connectorId
        self.idTag = idTag
        self.parentIdTag = parentIdTag
        self.expiryDate = expiryDate
    }
}

/// What one step of `Store.keyStoredMeterValues` did, and how far the whole job is: rows up to `end` (the last stored
/// before the keys existed) are taken in id order, up to `position` so far.
public struct MeterValueKeying: Sendable, Equatable {
    public var keyed: Int
    public var removed: Int
    public var position: Int64
    public var end: Int64
    /// Another ocppd holds the job's lease: nothing was done.
    public var busy = false

    public var done: Bool { position >= end }
}
