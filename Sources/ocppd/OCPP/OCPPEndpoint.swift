import Crypto
import Foundation
import HTTPTypes
import Logging
import NIOCore
import NIOWebSocket
import Shared

/// The OCPP side of ocppd: handshake rules (path, identity, subprotocol, station authentication,
/// unknown-station policy) and the life of each station's WebSocket.
struct OCPPEndpoint: StationEndpoint {
    static let subprotocol = "ocpp1.6"
    static let maxIdentityLength = 48

    let pathPrefix: String
    let policy: UnknownStationPolicy
    let maxMessageSize: Int
    let maxQueuedCalls: Int
    let store: any Store
    let registry: ConnectionRegistry
    let centralSystem: CentralSystem
    let openStations: OpenStations
    /// Reverse proxies whose headers name a station's address, TLS and client certificate.
    let proxies: TrustedProxies
    let callLimit: RateLimit
    /// Handshakes per source address (an IPv6 /64 counts as one).
    let handshakes: KeyedRateLimiter
    /// Credential attempts per identity and source address: one whose bucket is empty is locked out until it
    /// refills. Keyed by address too, so that a stranger elsewhere cannot lock a station out by guessing.
    let authFailures: KeyedRateLimiter
    let logger: Logger
    /// In a cluster: where this node records the stations it holds.
    var cluster: Cluster? = nil

    func handshake(_ request: HTTPRequest, peer: String, direct: StationTransport) async -> HandshakeDecision {
        let remoteAddress = proxies.clientAddress(peer: peer, headers: request.headerFields)
        let addressKey = IPNetwork.limitKey(remoteAddress)
        if let wait = handshakes.take(addressKey) {
            handshakes.refusals.record("handshake refused: too many from one address", ["remote": "\(remoteAddress)"])
            return .refuse(
                .tooManyRequests, headers: [.retryAfter: "\(wait.retryAfterSeconds)"],
                reason: "too many handshakes from \(remoteAddress): retry in \(wait.retryAfterSeconds) s")
        }
        guard let identity = Self.identity(fromPath: request.path ?? "", prefix: pathPrefix) else {
            return .refuse(.notFound, headers: [:], reason: "not an OCPP endpoint: connect to \(pathPrefix)/{chargePointId}")
        }
        // A load balancer without health checks then tries the next node (nginx: proxy_next_upstream http_503).
        if let cluster, !cluster.isServing {
            return .refuse(
                .serviceUnavailable, headers: [.retryAfter: "5"],
                reason: "this node cannot reach the cluster's database: connect to another node")
        }
        guard Self.isValidIdentity(identity) else {
            return .refuse(
                .badRequest, headers: [:],
                reason: "invalid charge point identity: up to \(Self.maxIdentityLength) printable characters, no '/'")
        }
        let offered = request.headerFields[values: .secWebSocketProtocol]
            .flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        let subprotocol: String?
        if offered.isEmpty {
            subprotocol = nil  // older chargers offer nothing and speak 1.6
        } else if let match = offered.first(where: { $0.lowercased() == Self.subprotocol }) {
            subprotocol = match  // echoed as offered: a client checks the answer against its own spelling (OCPP1.6)
        } else {
            logger.notice("handshake refused: no ocpp1.6 subprotocol", metadata: ["station": "\(identity)", "offered": "\(offered)"])
            return .refuse(
                .badRequest, headers: [:], reason: "this central system speaks only ocpp1.6; offered: \(offered.joined(separator: ", "))")
        }

        let station: StationAccess?
        do {
            station = try await store.stationAccess(identity)
        } catch {
            logger.error("handshake refused: store unavailable", metadata: ["station": "\(identity)", "error": "\(error)"])
            return .refuse(.serviceUnavailable, headers: [:], reason: "the central system's store is unavailable; retry later")
        }
        guard let station else {
            await centralSystem.sawUnknownStation(identity, remoteAddress: remoteAddress)
            if policy == .reject {
                logger.notice("handshake refused: unknown station", metadata: ["station": "\(identity)", "remote": "\(remoteAddress)"])
                return .refuse(.notFound, headers: [:], reason: "unknown charge point '\(identity)'")
            }
            centralSystem.registerUnknownStation(identity)
            return .accept(identity: identity, subprotocol: subprotocol, remoteAddress: remoteAddress, securityProfile: 0)
        }
        let metadata: Logger.Metadata = ["station": "\(identity)", "remote": "\(remoteAddress)"]
        let transport = await proxies.transport(peer: peer, headers: request.headerFields, direct: direct, address: remoteAddress)
        // Profile 2 and 3 need TLS; profile 3 authenticates by the client certificate alone (OCPP 1.6 security white
        // paper); profiles 0 to 2 by HTTP Basic when the station has a key.
        if station.securityProfile >= 2, !transport.secure {
            logger.notice(
                "handshake refused: security profile needs TLS",
                metadata: metadata.merging(["profile": "\(station.securityProfile)"]) { $1 })
            return .refuse(
                .forbidden, headers: [:], reason: "station uses security profile \(station.securityProfile): connect over TLS (wss://)")
        }
        // A verified client certificate for this station meets every profile: it is a stronger credential than a key, and a
        // station moving from profile 2 to 3 presents it before an operator raises its profile.
        var refusal = "security profile 3: a client certificate signed by the central system's station CA is required"
        if transport.secure, let fingerprint = transport.certificateFingerprint {
            let holder: String?
            do {
                holder = try await store.certificateHolder(fingerprint: fingerprint)
            } catch {
                logger.error("handshake refused: store unavailable", metadata: ["station": "\(identity)", "error": "\(error)"])
                return .refuse(.serviceUnavailable, headers: [:], reason: "the central system's store is unavailable; retry later")
            }
            // A certificate ocppd bound to a station (by its CSR) is that station's, whatever its CN (a serial number may
            // be); any other is for the identity its CN names, byte for byte, as the store compares identities.
            if let holder {
                if holder.utf8.elementsEqual(identity.utf8) {
                    return await accept(identity, station, profile: 3, subprotocol: subprotocol, remoteAddress: remoteAddress, metadata)
                }
                refusal = "the client certificate was issued to another station"
            } else if let named = transport.certificateIdentity {
                if named.utf8.elementsEqual(identity.utf8) {
                    return await accept(identity, station, profile: 3, subprotocol: subprotocol, remoteAddress: remoteAddress, metadata)
                }
                refusal = "the client certificate is for '\(named)', not '\(identity)'"
            }
        }
        if station.securityProfile == 3 {
            logger.notice(
                "handshake refused: no client certificate for the identity",
                metadata: metadata.merging(["certificate": "\(String(reflecting: transport.certificateIdentity ?? "none"))"]) { $1 })
            // The certificate is profile 3's credential: refused as PRODUCT.md refuses missing or wrong ones.
            return .refuse(.unauthorized, headers: Self.basicChallenge, reason: refusal)
        }
        var profile = 0
        if station.securityProfile >= 1 || station.keyHash != nil {
            guard let keyHash = station.keyHash else {
                return .refuse(.unauthorized, headers: Self.basicChallenge, reason: "station has no authorization key set")
            }
            guard let password = Self.basicPassword(request.headerFields[.authorization], identity: identity) else {
                logger.notice("handshake refused: missing credentials", metadata: metadata)
                return .refuse(.unauthorized, headers: Self.basicChallenge, reason: "HTTP Basic credentials required")
            }
            // A try is taken before the key is checked and given back when it was right: attempts in flight at once
            // cannot get past the budget.
            let attemptKey = identity + " " + addressKey
            if let wait = authFailures.take(attemptKey) {
                authFailures.refusals.record("handshake refused: identity locked out after wrong credentials", metadata)
                return .refuse(
                    .tooManyRequests, headers: [.retryAfter: "\(wait.retryAfterSeconds)"],
                    reason: "too many wrong credentials for '\(identity)': retry in \(wait.retryAfterSeconds) s")
            }
            guard StationKeyHash.verify(password, against: keyHash) else {
                logger.notice("handshake refused: wrong credentials", metadata: metadata)
                return .refuse(.unauthorized, headers: Self.basicChallenge, reason: "wrong station credentials")
            }
            authFailures.refund(attemptKey)
            profile = transport.secure ? 2 : 1
        }
        return await accept(identity, station, profile: profile, subprotocol: subprotocol, remoteAddress: remoteAddress, metadata)
    }

    /// Accepts a known station connecting on `profile`. When that meets the profile its accepted ChangeConfiguration
    /// SecurityProfile set, that profile is required of it from now on: awaited, because the white paper's charger
    /// tries its old profile right after it booted on the new one, and must be refused (the OCA test tool's TC_083).
    /// A store that fails now leaves the profile pending, to be raised at a later connection.
    private func accept(
        _ identity: String, _ station: StationAccess, profile: Int, subprotocol: String?, remoteAddress: String,
        _ metadata: Logger.Metadata
    ) async -> HandshakeDecision {
        if let pending = station.pendingSecurityProfile, profile >= pending {
            let fields = metadata.merging(["profile": "\(pending)"]) { $1 }
            do {
                if try await store.raiseSecurityProfile(identity, to: pending) {
                    logger.notice("security profile raised: the station came back on the profile it accepted", metadata: fields)
                }
            } catch {
                logger.warning(
                    "the station's security profile could not be raised; it stays pending",
                    metadata: fields.merging(["error": "\(error)"]) { $1 })
            }
        }
        return .accept(identity: identity, subprotocol: subprotocol, remoteAddress: remoteAddress, securityProfile: profile)
    }

    static let basicChallenge: HTTPFields = [.wwwAuthenticate: "Basic realm=\"ocpp\", charset=\"UTF-8\""]

    /// The identity of `/ocpp/{id}`: one path segment, percent-decoded; nil for any other path.
    static func identity(fromPath path: String, prefix: String) -> String? {
        let pathOnly = path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        let normalizedPrefix = prefix.hasSuffix("/") ? String(prefix.dropLast()) : prefix
        guard pathOnly.hasPrefix(normalizedPrefix + "/") else { return nil }
        let rest = pathOnly.dropFirst(normalizedPrefix.count + 1)
        guard !rest.isEmpty, !rest.contains("/") else { return nil }
        return String(rest).removingPercentEncoding
    }

    static func isValidIdentity(_ identity: String) -> Bool {
        // Counted in Unicode scalars, as JSON Schema's maxLength counts (not in Swift's grapheme clusters).
        guard !identity.isEmpty, identity.unicodeScalars.count <= maxIdentityLength else { return false }
        return identity.unicodeScalars.allSatisfy { scalar in
            scalar != "/" && scalar.value >= 0x20 && scalar.value != 0x7F && !(0x80..<0xA0).contains(scalar.value)
        }
    }

    /// The password of a Basic `Authorization` header whose user is `identity`.
    /// The password's bytes, when the credentials start with exactly the identity and a colon (an identity may hold a
    /// colon itself): a password need not be UTF-8 (a charger may send the bytes that its AuthorizationKey's hex
    /// digits stand for; see `StationKeyHash.verify`).
    static func basicPassword(_ header: String?, identity: String) -> [UInt8]? {
        guard let header, header.lowercased().hasPrefix("basic ") else { return nil }
        let encoded = header.dropFirst("basic ".count).trimmingCharacters(in: .whitespaces)
        let user = Array(identity.utf8) + [UInt8(ascii: ":")]
        guard let data = Data(base64Encoded: encoded), data.starts(with: user) else { return nil }
        return Array(data.dropFirst(user.count))
    }

    func stationHandler(identity: String, remoteAddress: String, securityProfile: Int, channel: any Channel) -> any ChannelHandler {
        StationChannelHandler(
            identity: identity, remoteAddress: remoteAddress, securityProfile: securityProfile, channel: channel,
            services: StationServices(
                registry: registry, centralSystem: centralSystem, maxMessageSize: maxMessageSize, maxQueuedCalls: maxQueuedCalls,
                callLimit: callLimit, open: openStations, logger: logger, cluster: cluster))
    }
}

/// Station authorization keys are stored as `sha256$<salt hex>$<digest hex>`: keys are random
/// secrets of 16+ bytes (OCPP security whitepaper), so a salted SHA-256 is enough and keeps
/// handshakes of thousands of stations cheap.
enum StationKeyHash {
    static func make(_ key: String) -> String {
        let salt = Hex.randomBytes(16)
        return "sha256$\(Hex.string(salt))$\(Hex.string(digest(salt: salt, key: Array(key.utf8))))"
    }

    /// Whether a Basic password is the key. The security white paper's AuthorizationKey holds the password's bytes
    /// as hex digits (the OCA test tool's 2025 edition: up to 20 bytes, 40 digits); a charger that reads it so sends
    /// those bytes, others send the digits themselves. A key stored as digits admits both.
    static func verify(_ password: [UInt8], against stored: String) -> Bool {
        let parts = stored.split(separator: "$")
        guard parts.count == 3, parts[0] == "sha256", let salt = Hex.bytes(String(parts[1])),
            let expected = Hex.bytes(String(parts[2]))
        else {
            return false
        }
        if constantTimeEqual(digest(salt: salt, key: password), expected) { return true }
        guard (8...20).contains(password.count) else { return false }
        return [false, true].contains { uppercase in
            constantTimeEqual(digest(salt: salt, key: Array(Hex.string(password, uppercase: uppercase).utf8)), expected)
        }
    }

    static func verify(_ key: String, against stored: String) -> Bool { verify(Array(key.utf8), against: stored) }

    private static func digest(salt: [UInt8], key: [UInt8]) -> [UInt8] {
        Array(SHA256.hash(data: salt + key))
    }
}

extension Logger {
    /// This logger with `station=ID` on each of its lines: the handler adds it when a line is written, so a
    /// connected station costs no metadata dictionary of its own (one took ~450 bytes of each idle station).
    func station(_ id: String) -> Logger {
        let base = handler
        return Logger(label: label) { _ in StationLogHandler(base: base, station: id) }
    }
}

/// The process's log handler, with one station's id added to each line it writes (see `Logger.station`).
struct StationLogHandler: LogHandler {
    var base: any LogHandler
    let station: String

    var logLevel: Logger.Level {
        get { base.logLevel }
        set { base.logLevel = newValue }
    }

    var metadata: Logger.Metadata {
        get { base.metadata.merging(["station": .string(station)]) { current, _ in current } }
        set { base.metadata = newValue }
    }

    var metadataProvider: Logger.MetadataProvider? {
        get { base.metadataProvider }
        set { base.metadataProvider = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { base[metadataKey: key] ?? (key == "station" ? .string(station) : nil) }
        set { base[metadataKey: key] = newValue }
    }

    func log(event: LogEvent) {
        var event = event
        var metadata = event.metadata ?? [:]
        if metadata["station"] == nil && base[metadataKey: "station"] == nil {
            metadata["station"] = .string(station)
        }
        event.metadata = metadata
        base.log(event: event)
    }
}
