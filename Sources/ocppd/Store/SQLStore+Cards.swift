import Foundation
import Shared

extension SQLStore {
    static var cardColumns: String { "id_tag, status, expiry_date, parent_id_tag, description, created_at" }

    static func readCard(_ row: Connection.Row) throws -> RfidCard {
        let status = try row.string(1)
        guard let cardStatus = RfidCard.Status(rawValue: status) else {
            throw StoreError.failed("RFID card \(try row.string(0)) has an unknown status '\(status)'")
        }
        return RfidCard(
            idTag: try row.string(0), status: cardStatus, expiryDate: row.optionalDate(2), parentIdTag: row.optionalString(3),
            description: row.optionalString(4), createdAt: try row.date(5)
        )
    }

    // id_tag has a case-insensitive collation (see `SQLDialect`), so every lookup below ignores case as OCPP's IdToken
    // demands.

    func card(_ idTag: String) async throws -> RfidCard? {
        try await read(inTransaction: false) { db in
            try db.queryFirst("SELECT \(Self.cardColumns) FROM rfid_cards WHERE id_tag = ?", [idTag], Self.readCard)
        }
    }

    func cards(_ page: PageRequest) async throws -> Page<RfidCard> {
        try await read { db in
            let items = try db.query(
                "SELECT \(Self.cardColumns) FROM rfid_cards ORDER BY id_tag LIMIT ? OFFSET ?", .page(page), Self.readCard)
            let total = try db.queryFirst("SELECT COUNT(*) FROM rfid_cards") { try $0.int(0) } ?? 0
            return Page(items: items, total: total)
        }
    }

    func createCard(_ card: RfidCard) async throws {
        try await write { db in
            if try db.queryFirst("SELECT id_tag FROM rfid_cards WHERE id_tag = ?", [card.idTag], { try $0.string(0) }) != nil {
                throw StoreError.conflict("RFID card '\(card.idTag)' exists already")
            }
            try db.execute(
                "INSERT INTO rfid_cards (id_tag, status, expiry_date, parent_id_tag, description, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                [card.idTag, card.status.rawValue, card.expiryDate, card.parentIdTag, card.description, card.createdAt])
        }
    }

    func setCardStatus(_ idTag: String, _ status: RfidCard.Status) async throws -> RfidCard? {
        try await write { db in
            guard try db.execute("UPDATE rfid_cards SET status = ? WHERE id_tag = ?", [status.rawValue, idTag]) > 0 else { return nil }
            return try db.queryFirst("SELECT \(Self.cardColumns) FROM rfid_cards WHERE id_tag = ?", [idTag], Self.readCard)
        }
    }

    func deleteCard(_ idTag: String) async throws -> RfidCard? {
        try await write { db in
            guard let card = try db.queryFirst("SELECT \(Self.cardColumns) FROM rfid_cards WHERE id_tag = ?", [idTag], Self.readCard)
            else { return nil }
            try db.execute("DELETE FROM rfid_cards WHERE id_tag = ?", [idTag])
            return card
        }
    }

    // MARK: Reservations

    static var reservationColumns: String { "reservation_id, cp_id, connector_id, id_tag, parent_id_tag, expiry_date, status, created_at" }

    static func readReservation(_ row: Connection.Row) throws -> Reservation {
        Reservation(
            reservationId: try row.int(0), cpId: try row.string(1), connectorId: try row.int(2), idTag: try row.string(3),
            parentIdTag: row.optionalString(4), expiryDate: try row.date(5), status: try row.string(6), createdAt: try row.date(7)
        ).expiring()
    }

    static func fetchReservation(_ db: Connection, _ reservationId: Int) throws -> Reservation? {
        try db.queryFirst("SELECT \(reservationColumns) FROM reservations WHERE reservation_id = ?", [reservationId], readReservation)
    }

    func reservations(_ page: PageRequest) async throws -> Page<Reservation> {
        try await read { db in
            let items = try db.query(
                "SELECT \(Self.reservationColumns) FROM reservations ORDER BY created_at DESC, reservation_id DESC LIMIT ? OFFSET ?",
                .page(page), Self.readReservation)
            let total = try db.queryFirst("SELECT COUNT(*) FROM reservations") { try $0.int(0) } ?? 0
            return Page(items: items, total: total)
        }
    }

    func reservation(_ reservationId: Int) async throws -> Reservation? {
        try await read { db in try Self.fetchReservation(db, reservationId) }
    }

    func createReservation(_ request: ReservationRequest) async throws -> Reservation {
        try await write { db in
            let now = Date()
            if let id = request.reservationId, try Self.fetchReservation(db, id) != nil {
                throw StoreError.conflict("reservation \(id) exists already")
            }
            // A NULL id lets AUTOINCREMENT allocate one above every id used so far, operator-chosen ones included.
            try db.execute(
                """
                INSERT INTO reservations (reservation_id, cp_id, connector_id, id_tag, parent_id_tag, expiry_date, status, created_at,
                    updated_at)
                VALUES (?, ?, ?, ?, ?, ?, 'Requested', ?, ?)
                """,
                [
                    request.reservationId, request.cpId, request.connectorId, request.idTag, request.parentIdTag, request.expiryDate,
                    now, now,
                ])
            // MariaDB reports no insert id for an explicit one.
            let reservationId = request.reservationId ?? Int(db.lastInsertRowID)
            guard let reservation = try Self.fetchReservation(db, reservationId) else {
                throw StoreError.failed("reservation vanished while it was created")
            }
            return reservation
        }
    }

    func setReservationStatus(_ reservationId: Int, _ status: String) async throws -> Reservation? {
        try await write { db in
            guard
                try db.execute(
                    "UPDATE reservations SET status = ?, updated_at = ? WHERE reservation_id = ?", [status, Date(), reservationId]) > 0
            else { return nil }
            return try Self.fetchReservation(db, reservationId)
        }
    }
}
