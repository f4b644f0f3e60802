/// DeleteCertificate: the central system asks a charge point to remove an installed CA certificate.
public enum DeleteCertificate: OCPPAction {
    public static let name = "DeleteCertificate"
    public static let sender = OCPPSender.centralSystem
    public static let profile = FeatureProfile.security

    public struct Request: OCPPRequest {
        public typealias Action = DeleteCertificate
        public var certificateHashData: CertificateHashData

        public init(certificateHashData: CertificateHashData) { self.certificateHashData = certificateHashData }
    }

    public struct Response: OCPPPayload {
        public var status: DeleteCertificateStatus

        public init(status: DeleteCertificateStatus) { self.status = status }
    }
}

public enum DeleteCertificateStatus: String, OCPPEnum {
    case accepted = "Accepted"
    case failed = "Failed"
    case notFound = "NotFound"
}
