import Crypto
import Foundation
import SwiftASN1
import Testing
import X509
import _CryptoExtras

@testable import ocppd

/// A CSR as a station makes it, in PEM.
private func csrPEM(
    cn: String, organization: String? = nil, key: Certificate.PrivateKey = .init(P256.Signing.PrivateKey()),
    algorithm: Certificate.SignatureAlgorithm = .ecdsaWithSHA256
) throws -> String {
    let subject = try DistinguishedName {
        if let organization { OrganizationName(organization) }
        CommonName(cn)
    }
    let csr = try CertificateSigningRequest(
        version: .v1, subject: subject, privateKey: key, attributes: .init(), signatureAlgorithm: algorithm)
    return try csr.serializeAsPEM().pemString
}

private func check(_ pem: String, identity: String = "CP-1", serial: String? = nil, elsewhere: Bool = false, organization: String? = nil)
    -> String?
{
    do {
        try CSRCheck.check(
            try CSRCheck.parse(pem), identity: identity, serialNumber: serial, serialIsAnotherStation: elsewhere, organization: organization
        )
        return nil
    } catch {
        return error.description
    }
}

@Suite struct StationCertificateTests {
    @Test func aWellFormedRequestForTheIdentityPasses() throws {
        #expect(check(try csrPEM(cn: "CP-1")) == nil)
        #expect(check(try csrPEM(cn: "CP-1", key: .init(P384.Signing.PrivateKey()), algorithm: .ecdsaWithSHA384)) == nil)
        #expect(
            check(try csrPEM(cn: "CP-1", key: .init(try _RSA.Signing.PrivateKey(keySize: .bits2048)), algorithm: .sha256WithRSAEncryption))
                == nil)
    }

    @Test func theCommonNameIsTheIdentityOrTheBootSerialOfNoOtherStation() throws {
        #expect(check(try csrPEM(cn: "CP-2"))?.contains("not the station's identity") == true)
        #expect(check(try csrPEM(cn: "cp-1"))?.contains("not the station's identity") == true)
        #expect(check(try csrPEM(cn: "SN-9"), serial: "SN-9") == nil)
        #expect(check(try csrPEM(cn: "SN-9"), serial: "SN-9", elsewhere: true)?.contains("another station") == true)
    }

    @Test func anOrganizationIsRequiredWhenConfigured() throws {
        #expect(check(try csrPEM(cn: "CP-1"), organization: "ACME")?.contains("organization") == true)
        #expect(check(try csrPEM(cn: "CP-1", organization: "Other"), organization: "ACME")?.contains("'Other'") == true)
        #expect(check(try csrPEM(cn: "CP-1", organization: "ACME"), organization: "ACME") == nil)
    }

    @Test func weakOrUnknownKeysAreRefused() throws {
        let p521 = try csrPEM(cn: "CP-1", key: .init(P521.Signing.PrivateKey()), algorithm: .ecdsaWithSHA512)
        #expect(check(p521)?.contains("neither EC P-256/P-384 nor RSA") == true)
        let rsa1024 = try csrPEM(
            cn: "CP-1", key: .init(try _RSA.Signing.PrivateKey(unsafeKeySize: .init(bitCount: 1024))), algorithm: .sha256WithRSAEncryption)
        #expect(check(rsa1024) != nil)
    }

    @Test func garbageAndBrokenSignaturesDoNotParse() throws {
        #expect(check("not a CSR")?.contains("not a PEM") == true)
        // The last byte of the DER is the signature's: flipped, the request still parses but no longer verifies.
        let document = try PEMDocument(pemString: try csrPEM(cn: "CP-1"))
        var der = document.derBytes
        der[der.count - 1] ^= 0x01
        let broken = PEMDocument(type: document.discriminator, derBytes: der).pemString
        #expect(check(broken)?.contains("signature") == true)
    }

    /// Found by scripts/fuzz (FuzzCSR): an RSA key whose DER does not parse made swift-crypto 3.12.3 free the key twice and
    /// abort the process; a station could stop ocppd with one SignCertificate. Refused now, like any broken request.
    @Test func aRequestWithABrokenRSAKeyIsRefusedWithoutACrash() throws {
        let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Fuzz/FuzzCSR/corpus")
        let der = try Data(contentsOf: corpus.appendingPathComponent("regression-d1ad90d8d89f494b"))
        let pem = PEMDocument(type: "CERTIFICATE REQUEST", derBytes: Array(der)).pemString
        #expect(check(pem)?.contains("not a PEM certificate signing request") == true)
    }

    @Test func theCAIssuesAClientCertificateForTheRequestsSubjectAndKey() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ca-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let caKey = Certificate.PrivateKey(P256.Signing.PrivateKey())
        let caName = try DistinguishedName { CommonName("Station CA") }
        let caCertificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: caKey.publicKey, notValidBefore: Date().addingTimeInterval(-60),
            notValidAfter: Date().addingTimeInterval(86_400 * 3650), issuer: caName, subject: caName,
            extensions: try Certificate.Extensions { Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil)) },
            issuerPrivateKey: caKey)
        try caCertificate.serializeAsPEM().pemString.write(toFile: directory + "/ca.pem", atomically: true, encoding: .utf8)
        try caKey.serializeAsPEM().pemString.write(toFile: directory + "/ca.key", atomically: true, encoding: .utf8)
        let ca = try StationCA(certificateFile: directory + "/ca.pem", keyFile: directory + "/ca.key", organization: nil, days: 30)

        let stationKey = Certificate.PrivateKey(P256.Signing.PrivateKey())
        let csr = try CSRCheck.parse(try csrPEM(cn: "CP-1", key: stationKey))
        let now = Date()
        let issued = try ca.issue(for: csr, now: now)
        let leaf = issued.certificate
        #expect(leaf.subject == csr.subject)
        #expect(leaf.publicKey == stationKey.publicKey)
        #expect(leaf.issuer == caName)
        #expect(caCertificate.publicKey.isValidSignature(leaf.signature, for: leaf))
        #expect(abs(leaf.notValidAfter.timeIntervalSince(now) - 30 * 86_400) < 2)
        #expect(try leaf.extensions.extendedKeyUsage?.contains(.clientAuth) == true)
        #expect(try leaf.extensions.basicConstraints == .notCertificateAuthority)
        // The chain: the leaf first, then the CA.
        let chain = try PEMDocument.parseMultiple(pemString: issued.chain).map { try Certificate(pemDocument: $0) }
        #expect(chain == [leaf, caCertificate])
        #expect(Certificate.leaf(ofChain: issued.chain) == leaf)
        #expect(!leaf.serialHex.hasPrefix("0") && leaf.serialHex == leaf.serialHex.uppercased())

        // A key that is not the certificate's, or a certificate that is no CA, is refused at start.
        try Certificate.PrivateKey(P256.Signing.PrivateKey()).serializeAsPEM().pemString.write(
            toFile: directory + "/other.key", atomically: true, encoding: .utf8)
        #expect(throws: StationCAError.self) {
            try StationCA(certificateFile: directory + "/ca.pem", keyFile: directory + "/other.key", organization: nil, days: 30)
        }
    }
}
