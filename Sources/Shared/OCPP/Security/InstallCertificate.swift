/// InstallCertificate: the central system installs a CA certificate on a charge point (a new Central System root before
/// a migration to profile 2 or 3, a manufacturer root for signed firmware).
public enum InstallCertificate: OCPPAction {
    public static let name = "InstallCertificate"
    public static let sender = OCPPSender.centralSystem
    public static let profile = FeatureProfile.security

    public struct Request: OCPPRequest {
        public typealias Action = InstallCertificate
        public var certificateType: CertificateUse
        /// The PEM certificate.
        public var certificate: PEMText5500

        public init(certificateType: CertificateUse, certificate: PEMText5500) {
            self.certificateType = certificateType
            self.certificate = certificate
        }
    }

    public struct Response: OCPPPayload {
        public var status: InstallCertificateStatus

        public init(status: InstallCertificateStatus) { self.status = status }
    }
}

public enum InstallCertificateStatus: String, OCPPEnum {
    case accepted = "Accepted"
    case failed = "Failed"
    case rejected = "Rejected"
}
