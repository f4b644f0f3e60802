/// Names an installed certificate by the hashes of its issuer and its serial number (RFC 6960's CertID).
public struct CertificateHashData: Codable, Sendable, Equatable {
    public var hashAlgorithm: HashAlgorithm
    /// Hex of the hash of the issuer's distinguished name.
    public var issuerNameHash: CiString<Length128>
    /// Hex of the hash of the issuer's public key.
    public var issuerKeyHash: CiString<Length128>
    /// Hex of the serial number.
    public var serialNumber: CiString<Length40>

    public init(
        hashAlgorithm: HashAlgorithm, issuerNameHash: CiString<Length128>, issuerKeyHash: CiString<Length128>,
        serialNumber: CiString<Length40>
    ) {
        self.hashAlgorithm = hashAlgorithm
        self.issuerNameHash = issuerNameHash
        self.issuerKeyHash = issuerKeyHash
        self.serialNumber = serialNumber
    }
}

public enum HashAlgorithm: String, OCPPEnum {
    case sha256 = "SHA256"
    case sha384 = "SHA384"
    case sha512 = "SHA512"
}

/// The kinds of CA certificate a charge point keeps.
public enum CertificateUse: String, OCPPEnum {
    case centralSystemRootCertificate = "CentralSystemRootCertificate"
    case manufacturerRootCertificate = "ManufacturerRootCertificate"
}
