import Crypto
import Foundation
import HTTPTypes
import Logging
import SwiftASN1
import Testing
import X509

@testable import ocppd

@Suite struct TrustedProxiesTests {
    /// A throwaway CA that issues station certificates.
    struct TestCA {
        let key = P256.Signing.PrivateKey()
        let certificate: Certificate

        init(_ name: String) throws {
            let subject = try DistinguishedName { CommonName(name) }
            certificate = try Certificate(
                version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey), notValidBefore: Date() - 3600,
                notValidAfter: Date() + 86400, issuer: subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions { Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil)) },
                issuerPrivateKey: .init(key))
        }

        func issue(_ commonName: String, validUntil: Date = Date() + 86400) throws -> Certificate {
            try Certificate(
                version: .v3, serialNumber: .init(), publicKey: .init(P256.Signing.PrivateKey().publicKey),
                notValidBefore: Date() - 7200, notValidAfter: validUntil, issuer: certificate.subject,
                subject: try DistinguishedName { CommonName(commonName) }, signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions { Critical(BasicConstraints.notCertificateAuthority) },
                issuerPrivateKey: .init(key))
        }

        /// The CA certificate as a PEM file, as `--tls-client-ca` names it.
        func file() throws -> String {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("ca-\(UUID().uuidString).pem").path
            try certificate.serializeAsPEM().pemString.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
    }

    static func der(_ certificate: Certificate) throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        return serializer.serializedBytes
    }

    private func proxies(_ networks: [String], clientCA: String? = nil, header: String = "X-SSL-Client-Cert") throws -> TrustedProxies {
        try TrustedProxies(
            networks: networks.map { try #require(IPNetwork($0)) }, certificateHeader: HTTPField.Name(header)!, clientCA: clientCA,
            logger: Logger(label: "test"))
    }

    private func headers(_ fields: [(String, String)]) -> HTTPFields {
        var headers = HTTPFields()
        for (name, value) in fields { headers.append(HTTPField(name: HTTPField.Name(name)!, value: value)) }
        return headers
    }

    @Test func networksMatchTheirPrefixOnlyInTheirFamily() throws {
        let private10 = try #require(IPNetwork("10.0.0.0/8"))
        #expect(private10.contains(try #require(IPNetwork.addressBytes("10.200.3.4"))))
        #expect(!private10.contains(try #require(IPNetwork.addressBytes("11.0.0.1"))))
        // A dual-stack listener reports IPv4 peers as IPv4-mapped IPv6 addresses.
        #expect(private10.contains(try #require(IPNetwork.addressBytes("::ffff:10.1.2.3"))))
        let odd = try #require(IPNetwork("192.168.1.128/25"))
        #expect(odd.contains(try #require(IPNetwork.addressBytes("192.168.1.200"))))
        #expect(!odd.contains(try #require(IPNetwork.addressBytes("192.168.1.127"))))
        let ula = try #require(IPNetwork("fd00::/8"))
        #expect(ula.contains(try #require(IPNetwork.addressBytes("fd12:3456::1"))))
        #expect(!ula.contains(try #require(IPNetwork.addressBytes("fe80::1"))))
        #expect(!ula.contains(try #require(IPNetwork.addressBytes("10.0.0.1"))))
        #expect(try #require(IPNetwork("::1")).description == "::1/128")
        // C stops at a NUL: without the check, this text read as 10.0.0.1 (scripts/fuzz, FuzzHeaders).
        #expect(IPNetwork.addressBytes("10.0.0.1\0.example") == nil)
        #expect(try #require(IPNetwork("0.0.0.0/0")).contains([1, 2, 3, 4]))
        for bad in ["", "proxy.example.com", "10.0.0.0/33", "10.0.0.0/", "::1/129", "10.0.0.0/-1", "1.2.3"] {
            #expect(IPNetwork(bad) == nil, "\(bad)")
        }
    }

    @Test func anIPv6AddressIsLimitedByItsSlash64() {
        #expect(IPNetwork.limitKey("2001:db8:1:2:aaaa::1") == "2001:db8:1:2::/64")
        #expect(IPNetwork.limitKey("2001:db8:1:2:ffff:1:2:3") == IPNetwork.limitKey("2001:db8:1:2::9"))
        #expect(IPNetwork.limitKey("2001:db8:1:3::9") != IPNetwork.limitKey("2001:db8:1:2::9"))
        #expect(IPNetwork.limitKey("203.0.113.9") == "203.0.113.9")
        #expect(IPNetwork.limitKey("unknown") == "unknown")
    }

    @Test func headersFromAnAddressThatIsNotAProxyAreIgnored() async throws {
        let ca = try TestCA("Stations")
        let proxies = try proxies(["10.0.0.1"], clientCA: try ca.file())
        let direct = StationTransport(secure: false, certificateIdentity: nil)
        let claimed = headers([
            ("X-Forwarded-For", "203.0.113.9"), ("X-Forwarded-Proto", "https"),
            ("X-SSL-Client-Cert", ":\(Data(try Self.der(ca.issue("CP-1"))).base64EncodedString()):"),
        ])
        #expect(proxies.clientAddress(peer: "10.0.0.2", headers: claimed) == "10.0.0.2")
        #expect(await proxies.transport(peer: "10.0.0.2", headers: claimed, direct: direct, address: "10.0.0.2") == direct)
        // Without any trusted proxy, nothing is trusted.
        let none = try self.proxies([])
        #expect(none.clientAddress(peer: "10.0.0.1", headers: claimed) == "10.0.0.1")
        #expect(await none.transport(peer: "10.0.0.1", headers: claimed, direct: direct, address: "10.0.0.1") == direct)
    }

    @Test func theStationsAddressIsTheNearestHopThatIsNotAProxy() throws {
        let proxies = try proxies(["10.0.0.0/8", "2001:db8::/32"])
        func address(_ forwardedFor: String...) -> String {
            proxies.clientAddress(peer: "10.0.0.1", headers: headers(forwardedFor.map { ("X-Forwarded-For", $0) }))
        }
        #expect(address() == "10.0.0.1")
        #expect(address("203.0.113.9") == "203.0.113.9")
        // A station that sends its own X-Forwarded-For only adds hops on the left: they are not believed.
        #expect(address("198.51.100.1, 203.0.113.9") == "203.0.113.9")
        #expect(address("198.51.100.1", "203.0.113.9, 10.9.9.9") == "203.0.113.9")
        #expect(address("203.0.113.9:4711, [2001:db8::5]:443") == "203.0.113.9")
        #expect(address("[2001:db9::7]:1234") == "2001:db9::7")
        // Garbage where an address belongs stops at the proxy that added it.
        #expect(address("203.0.113.9, unknown") == "10.0.0.1")
        #expect(address("evil, 10.2.2.2") == "10.2.2.2")
    }

    @Test func tlsIsWhatTheProxySaysNotWhatItsOwnConnectionIs() async throws {
        let proxies = try proxies(["127.0.0.1"])
        let proxyOverTLS = StationTransport(secure: true, certificateIdentity: "the proxy's own certificate")
        for (proto, secure) in [("https", true), ("WSS", true), ("http", false), ("https, http", false), (nil, false)] {
            let fields = proto.map { headers([("X-Forwarded-Proto", $0)]) } ?? HTTPFields()
            let transport = await proxies.transport(peer: "127.0.0.1", headers: fields, direct: proxyOverTLS, address: "127.0.0.2")
            #expect(transport == StationTransport(secure: secure, certificateIdentity: nil), "\(proto ?? "none")")
        }
    }

    @Test func aForwardedCertificateCountsOnlyInItsHeaderAndWhenItChainsToTheClientCA() async throws {
        let ca = try TestCA("Stations")
        let rogue = try TestCA("Rogue")
        let trusted = try proxies(["127.0.0.1"], clientCA: try ca.file())
        let station = try ca.issue("CP-9")
        let pem = try station.serializeAsPEM().pemString
        let base64DER = Data(try Self.der(station)).base64EncodedString()
        func identity(_ value: String, header: String = "X-SSL-Client-Cert", in proxies: TrustedProxies? = nil) async -> String? {
            let transport = await (proxies ?? trusted).transport(
                peer: "127.0.0.1", headers: headers([(header, value)]), direct: .plain, address: "127.0.0.2")
            #expect(transport.secure == (transport.certificateIdentity != nil))
            return transport.certificateIdentity
        }
        // nginx's $ssl_client_escaped_cert, RFC 9440, HAProxy's base64 DER, Traefik's URL-encoded base64.
        #expect(await identity(pem.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!) == "CP-9")
        #expect(await identity(":\(base64DER):") == "CP-9")
        #expect(await identity(base64DER) == "CP-9")
        #expect(await identity(base64DER.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!) == "CP-9")
        // Only the configured header: a proxy that sets X-SSL-Client-Cert would pass a station's own Client-Cert on.
        #expect(await identity(":\(base64DER):", header: "Client-Cert") == nil)
        let rfc9440 = try self.proxies(["127.0.0.1"], clientCA: try ca.file(), header: "Client-Cert")
        #expect(await identity(":\(base64DER):", header: "Client-Cert", in: rfc9440) == "CP-9")
        #expect(await identity(":\(base64DER):", header: "X-SSL-Client-Cert", in: rfc9440) == nil)
        // Signed by another CA, expired, or not a certificate: no identity.
        let forged = Data(try Self.der(rogue.issue("CP-9"))).base64EncodedString()
        #expect(await identity(":\(forged):") == nil)
        let expired = Data(try Self.der(ca.issue("CP-9", validUntil: Date() - 60))).base64EncodedString()
        #expect(await identity(":\(expired):") == nil)
        #expect(await identity(":bm90IGEgY2VydGlmaWNhdGU=:") == nil)
        #expect(await identity("-----BEGIN%20CERTIFICATE-----%0Agarbage") == nil)
        // Without a client CA there is nothing to check a forwarded certificate against: none counts.
        #expect(await identity(":\(base64DER):", in: try self.proxies(["127.0.0.1"])) == nil)
    }

    @Test func theCommonNameIsReadAsItsCharactersAndMustBeTheOnlyOne() throws {
        let ca = try TestCA("Stations")
        #expect(TLSSettings.commonName(try ca.issue("A,B+C\"")) == "A,B+C\"")
        let twoNames = try DistinguishedName {
            CommonName("CP-1")
            CommonName("CP-2")
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(P256.Signing.PrivateKey().publicKey),
            notValidBefore: Date() - 60, notValidAfter: Date() + 60, issuer: ca.certificate.subject, subject: twoNames,
            signatureAlgorithm: .ecdsaWithSHA256, extensions: Certificate.Extensions(), issuerPrivateKey: .init(ca.key))
        #expect(TLSSettings.commonName(certificate) == nil)
    }
}
