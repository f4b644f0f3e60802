import Foundation
import HTTPTypes
import Logging
import NIOSSL
import Shared
import X509

/// An IP address or a CIDR block: `10.0.0.5`, `10.0.0.0/8`, `::1`, `fd00::/8`.
struct IPNetwork: Sendable, Equatable, CustomStringConvertible {
    /// 4 bytes for IPv4, 16 for IPv6.
    let bytes: [UInt8]
    let prefixLength: Int

    init?(_ text: String) {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let bytes = Self.addressBytes(String(parts[0])) else { return nil }
        if parts.count == 2 {
            guard let length = Int(parts[1]), (0...bytes.count * 8).contains(length) else { return nil }
            prefixLength = length
        } else {
            prefixLength = bytes.count * 8
        }
        self.bytes = bytes
    }

    var description: String {
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        _ = bytes.withUnsafeBytes { inet_ntop(family, $0.baseAddress, &text, socklen_t(text.count)) }
        return "\(String(cString: text))/\(prefixLength)"
    }

    func contains(_ address: [UInt8]) -> Bool {
        guard address.count == bytes.count else { return false }
        var remaining = prefixLength
        for index in bytes.indices where remaining > 0 {
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - min(8, remaining)))
            guard address[index] & mask == bytes[index] & mask else { return false }
            remaining -= 8
        }
        return true
    }

    /// The key an address is limited by: the address, but for IPv6 its /64, the least one host or site is given (so
    /// that 2^64 addresses of one attacker share one budget).
    static func limitKey(_ address: String) -> String {
        guard let bytes = addressBytes(address), bytes.count == 16 else { return address }
        let network = IPNetwork(bytes: Array(bytes[0..<8]) + [UInt8](repeating: 0, count: 8), prefixLength: 64)
        return network.description
    }

    private init(bytes: [UInt8], prefixLength: Int) {
        self.bytes = bytes
        self.prefixLength = prefixLength
    }

    /// The bytes of an address: 4 for IPv4 and for an IPv4-mapped IPv6 address (`::ffff:10.0.0.1`, as a dual-stack
    /// listener reports IPv4 peers), 16 for other IPv6; nil when `text` is not an address.
    static func addressBytes(_ text: String) -> [UInt8]? {
        // C reads the text up to a NUL: "10.0.0.1\0anything" would pass as 10.0.0.1.
        guard !text.utf8.contains(0) else { return nil }
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF { return Array(bytes[12...]) }
        return bytes
    }
}

/// The reverse proxies in front of ocppd (`--trusted-proxies`). A connection from one of their addresses is the
/// proxy's, not the station's: headers the proxy sets say who the station is. From any other address those headers
/// are ignored, so a station cannot claim another address, TLS or a certificate by sending them itself; and the
/// proxy must set (or remove) each of them on every request, so that a station's own never gets through.
///
/// - `X-Forwarded-For`: the station's address is the nearest hop (from the right) that is not a trusted proxy.
/// - `X-Forwarded-Proto`: `https` (or `wss`) in every value: the station connected over TLS.
/// - the certificate header (`--forwarded-cert-header`, `X-SSL-Client-Cert` by default): the client certificate the
///   proxy's TLS handshake verified the station holds the key of, as URL-encoded PEM (nginx's
///   `$ssl_client_escaped_cert`), base64 DER, or RFC 9440's `:base64 DER:`. ocppd checks it against
///   `--tls-client-ca` (chain and validity) too, so a proxy that passes on certificates it did not verify cannot
///   let a certificate of another CA in; a certificate that passes also means TLS.
///
/// Over a trusted proxy's connection, TLS and certificates are only what these headers say: the proxy's own
/// connection to ocppd (TLS or not, its own certificate) says nothing about the station's.
final class TrustedProxies: Sendable {
    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!
    static let forwardedProto = HTTPField.Name("X-Forwarded-Proto")!
    static let defaultCertificateHeader = "X-SSL-Client-Cert"

    let networks: [IPNetwork]
    let certificateHeader: HTTPField.Name
    /// The CA file forwarded certificates must chain to; without it none is accepted.
    let clientCA: String?
    /// The client CA as trust roots: replaced whole by `reload` (startup, SIGHUP) while handshake tasks read it. The
    /// lock guards the swap only; a handshake verifies with the value it took.
    private let roots: Locked<CertificateStore?>
    private let logger: Logger

    init(networks: [IPNetwork], certificateHeader: HTTPField.Name, clientCA: String?, logger: Logger) throws {
        self.networks = networks
        self.certificateHeader = certificateHeader
        self.clientCA = networks.isEmpty ? nil : clientCA
        self.logger = logger
        roots = Locked(nil)
        try reload()
    }

    /// Reads the client CA again (on SIGHUP); the old one stays when the file does not load.
    func reload() throws {
        guard let clientCA else { return }
        let authorities = try NIOSSLCertificate.fromPEMFile(clientCA).map { try Certificate(derEncoded: $0.toDERBytes()) }
        guard !authorities.isEmpty else { throw TLSSettingsError("no certificate in \(clientCA)") }
        roots.withLock { $0 = CertificateStore(authorities) }
    }

    func trusts(_ address: String) -> Bool {
        guard !networks.isEmpty, let bytes = IPNetwork.addressBytes(address) else { return false }
        return networks.contains { $0.contains(bytes) }
    }

    /// The station's address: `peer`, or behind a trusted proxy, walking `X-Forwarded-For` from the right, the
    /// first hop that is not a trusted proxy. A hop that is not an address stops the walk at the proxy that added it.
    func clientAddress(peer: String, headers: HTTPFields) -> String {
        var address = peer
        let hops = headers[values: Self.forwardedFor].flatMap { $0.split(separator: ",") }.map { Self.hopAddress($0) }
        for hop in hops.reversed() {
            guard trusts(address), let hop, IPNetwork.addressBytes(hop) != nil else { break }
            address = hop
        }
        return address
    }

    /// The station's transport: `direct`, or behind a trusted proxy, what its headers say. `address` is the
    /// station's, for the log.
    func transport(peer: String, headers: HTTPFields, direct: StationTransport, address: String) async -> StationTransport {
        guard trusts(peer) else { return direct }
        if let header = headers[certificateHeader], !header.isEmpty,
            let certificate = await verifiedCertificate(header, address: address)
        {
            return .secure(verified: certificate)
        }
        let protocols = headers[values: Self.forwardedProto].flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        return StationTransport(secure: !protocols.isEmpty && protocols.allSatisfy { $0 == "https" || $0 == "wss" })
    }

    /// An `X-Forwarded-For` entry without the port some proxies add (`10.0.0.1:4711`, `[2001:db8::1]:4711`).
    static func hopAddress(_ entry: Substring) -> String? {
        let text = entry.trimmingCharacters(in: .whitespaces)
        if text.hasPrefix("[") {
            guard let end = text.firstIndex(of: "]") else { return nil }
            return String(text[text.index(after: text.startIndex)..<end])
        }
        if text.filter({ $0 == ":" }).count == 1, let colon = text.firstIndex(of: ":") { return String(text[..<colon]) }
        return text.isEmpty ? nil : text
    }

    /// A forwarded certificate header's certificate: RFC 9440's `:base64 DER:`, or URL-encoded (or plain) PEM or
    /// base64 DER.
    static func certificate(fromHeader value: String) -> Certificate? {
        let text = value.trimmingCharacters(in: .whitespaces)
        let der: [UInt8]?
        if text.count > 2, text.hasPrefix(":"), text.hasSuffix(":") {
            der = Data(base64Encoded: String(text.dropFirst().dropLast())).map(Array.init)
        } else if let decoded = text.removingPercentEncoding {
            if decoded.contains("-----BEGIN CERTIFICATE-----") {
                der = try? NIOSSLCertificate(bytes: Array(decoded.utf8), format: .pem).toDERBytes()
            } else {
                der = Data(base64Encoded: decoded.filter { !$0.isWhitespace }).map(Array.init)
            }
        } else {
            der = nil
        }
        return der.flatMap { try? Certificate(derEncoded: $0) }
    }

    /// A forwarded certificate that chains to the client CA and is valid now; nil (and a log line saying why) otherwise.
    private func verifiedCertificate(_ header: String, address: String) async -> Certificate? {
        guard let certificate = Self.certificate(fromHeader: header) else {
            logger.notice("forwarded client certificate ignored: not a certificate", metadata: ["remote": "\(address)"])
            return nil
        }
        guard let roots = roots.withLock({ $0 }) else {
            logger.notice(
                "forwarded client certificate ignored: no client CA (--tls-client-ca) to check it against",
                metadata: ["remote": "\(address)"])
            return nil
        }
        var verifier = Verifier(rootCertificates: roots) { RFC5280Policy() }
        guard case .validCertificate = await verifier.validate(leaf: certificate, intermediates: CertificateStore()) else {
            // The subject is the sender's text: logged escaped, so that it cannot forge log lines.
            logger.notice(
                "forwarded client certificate ignored: it does not chain to the client CA or is not valid now",
                metadata: ["remote": "\(address)", "subject": "\(String(reflecting: certificate.subject.description))"])
            return nil
        }
        return certificate
    }
}
