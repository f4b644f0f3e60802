/// GetInstalledCertificateIds: the central system asks which CA certificates of a kind a charge point has installed.
public enum GetInstalledCertificateIds: OCPPAction {
    public static let name = "GetInstalledCertificateIds"
    public static let sender = OCPPSender.centralSystem
    public static let profile = FeatureProfile.security

    public struct Request: OCPPRequest {
        public typealias Action = GetInstalledCertificateIds
        public var certificateType: CertificateUse

        public init(certificateType: CertificateUse) { self.certificateType = certificateType }
    }

    public struct Response: OCPPPayload {
        public var status: GetInstalledCertificateStatus
        /// At least one when present.
        public var certificateHashData: [CertificateHashData]?

        public init(status: GetInstalledCertificateStatus, certificateHashData: [CertificateHashData]? = nil) {
            self.status = status
            self.certificateHashData = certificateHashData
        }

        public func validate() throws {
            if certificateHashData?.isEmpty == true {
                throw constraintViolation("certificateHashData", "must hold at least one certificate when present")
            }
        }
    }
}

public enum GetInstalledCertificateStatus: String, OCPPEnum {
    case accepted = "Accepted"
    case notFound = "NotFound"
}
