import Crypto
import Foundation
import Shared
import SwiftASN1
import X509

/// ocppd as the certificate authority of its stations (`--station-ca-cert`, `--station-ca-key`): signs the client
/// certificates that station CSRs ask for, to be presented at profile 3 handshakes.
struct StationCA: Sendable {
    /// The CA's certificate: the issuer of what this signs.
    let certificate: Certificate
    /// Every certificate of the CA file as PEM, sent after the leaf (the CA, and intermediates if the file has them).
    let chainPEM: String
    let key: Certificate.PrivateKey
    /// The O a CSR's subject must carry, when set.
    let organization: String?
    /// How long an issued certificate is valid.
    let days: Int

    init(certificateFile: String, keyFile: String, organization: String?, days: Int) throws {
        let certificateText = try String(contentsOfFile: certificateFile, encoding: .utf8)
        let documents = try PEMDocument.parseMultiple(pemString: certificateText).filter { $0.discriminator == "CERTIFICATE" }
        guard let first = documents.first else { throw StationCAError("no certificate in \(certificateFile)") }
        certificate = try Certificate(pemDocument: first)
        chainPEM = documents.map(\.pemString).joined(separator: "\n") + "\n"
        key = try Certificate.PrivateKey(pemEncoded: try String(contentsOfFile: keyFile, encoding: .utf8))
        guard key.publicKey == certificate.publicKey else {
            throw StationCAError("the key in \(keyFile) is not the key of the certificate in \(certificateFile)")
        }
        guard case .isCertificateAuthority? = try? certificate.extensions.basicConstraints else {
            throw StationCAError("the certificate in \(certificateFile) is not a CA certificate (basicConstraints CA:TRUE)")
        }
        guard days >= 1 else { throw StationCAError("--station-cert-days must be 1 or more") }
        self.organization = organization
        self.days = days
    }

    /// A client certificate for the CSR's subject and key, signed by this CA, valid from a few minutes ago (station clocks
    /// drift) for `days`; with the chain to send in CertificateSigned.
    func issue(for csr: CertificateSigningRequest, now: Date = Date()) throws -> (chain: String, certificate: Certificate) {
        let isEC = P256.Signing.PublicKey(csr.publicKey) != nil || P384.Signing.PublicKey(csr.publicKey) != nil
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            Critical(KeyUsage(digitalSignature: true, keyEncipherment: !isEC, keyAgreement: isEC))
            try ExtendedKeyUsage([.clientAuth])
            SubjectKeyIdentifier(hash: csr.publicKey)
            AuthorityKeyIdentifier(
                keyIdentifier: (try? certificate.extensions.subjectKeyIdentifier)?.keyIdentifier
                    ?? SubjectKeyIdentifier(hash: certificate.publicKey).keyIdentifier)
        }
        let leaf = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: csr.publicKey,
            notValidBefore: now.addingTimeInterval(-300), notValidAfter: now.addingTimeInterval(Double(days) * 86_400),
            issuer: certificate.subject, subject: csr.subject, extensions: extensions, issuerPrivateKey: key)
        return (try leaf.serializeAsPEM().pemString + "\n" + chainPEM, leaf)
    }
}

struct StationCAError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension Certificate {
    /// Lower-case hex of the SHA-256 of the DER: how a bound certificate is found again at a handshake.
    var fingerprint: String {
        get throws {
            var serializer = DER.Serializer()
            try serializer.serialize(self)
            return Hex.sha256(serializer.serializedBytes)
        }
    }

    /// The serial number as upper-case hex without leading zeros, as operators compare it with `openssl x509 -serial`.
    var serialHex: String {
        let hex = Hex.string(serialNumber.bytes, uppercase: true)
        let trimmed = hex.drop { $0 == "0" }
        return trimmed.isEmpty ? "0" : String(trimmed)
    }

    /// The leaf of a PEM chain (its first certificate); nil when the text holds no certificate.
    static func leaf(ofChain pem: String) -> Certificate? {
        guard let first = try? PEMDocument.parseMultiple(pemString: pem).first(where: { $0.discriminator == "CERTIFICATE" }) else {
            return nil
        }
        return try? Certificate(pemDocument: first)
    }
}
