import Crypto
import SwiftASN1
import X509
import _CryptoExtras

/// Whether a station's certificate signing request may be signed: decisions only, no I/O (the white paper's rules for
/// SignCertificate, use case A02).
enum CSRCheck {
    /// Why a request is refused, in words for the log and for the operator.
    struct Rejection: Error, Equatable, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// Parses a PEM request and checks its signature: what every request must pass, with or without a station CA.
    static func parse(_ pem: String) throws(Rejection) -> CertificateSigningRequest {
        let csr: CertificateSigningRequest
        do {
            csr = try CertificateSigningRequest(pemEncoded: pem)
        } catch {
            throw Rejection("the CSR is not a PEM certificate signing request (\(error))")
        }
        guard csr.publicKey.isValidSignature(csr.signature, for: csr) else {
            throw Rejection("the CSR's signature does not verify with its own public key")
        }
        return csr
    }

    /// The station CA's rules: the subject's CN is the station's identity, or the serial number its last BootNotification
    /// reported, provided that no other station has that serial as its identity (a station may not obtain a certificate
    /// that names another); O is `organization` when one is required; the key is EC P-256 or P-384, or RSA of 2048 bits
    /// or more.
    static func check(
        _ csr: CertificateSigningRequest, identity: String, serialNumber: String?, serialIsAnotherStation: Bool, organization: String?
    ) throws(Rejection) {
        guard let commonName = csr.subject.single(.RDNAttributeType.commonName) else {
            throw Rejection("the CSR's subject has no single common name (CN)")
        }
        let isIdentity = commonName.utf8.elementsEqual(identity.utf8)
        let isSerial = serialNumber.map { commonName.utf8.elementsEqual($0.utf8) } ?? false
        if !isIdentity {
            guard isSerial else {
                let serial = serialNumber.map { " or its serial number '\($0)'" } ?? ""
                throw Rejection("the CSR's CN '\(commonName)' is not the station's identity '\(identity)'\(serial)")
            }
            guard !serialIsAnotherStation else {
                throw Rejection("the CSR's CN '\(commonName)' is the identity of another station")
            }
        }
        if let organization {
            let given = csr.subject.single(.RDNAttributeType.organizationName)
            guard given == organization else {
                throw Rejection("the CSR's organization (O) is '\(given ?? "none")', not '\(organization)'")
            }
        }
        try checkKey(csr.publicKey)
    }

    static func checkKey(_ key: Certificate.PublicKey) throws(Rejection) {
        if P256.Signing.PublicKey(key) != nil || P384.Signing.PublicKey(key) != nil { return }
        if let rsa = _RSA.Signing.PublicKey(key) {
            guard rsa.keySizeInBits >= 2048 else {
                throw Rejection("the CSR's RSA key has \(rsa.keySizeInBits) bits; 2048 or more are needed")
            }
            return
        }
        throw Rejection("the CSR's key (\(key)) is neither EC P-256/P-384 nor RSA")
    }
}

extension DistinguishedName {
    /// The one attribute of `type` as text; nil when there is none, more than one, or one that is not text.
    func single(_ type: ASN1ObjectIdentifier) -> String? {
        let values = self.flatMap { $0 }.filter { $0.type == type }
        guard values.count == 1 else { return nil }
        return String(values[0].value)
    }
}
