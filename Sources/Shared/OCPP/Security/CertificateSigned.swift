/// CertificateSigned: the central system sends a charge point its signed client certificate chain.
public enum CertificateSigned: OCPPAction {
    public static let name = "CertificateSigned"
    public static let sender = OCPPSender.centralSystem
    public static let profile = FeatureProfile.security

    public struct Request: OCPPRequest {
        public typealias Action = CertificateSigned
        /// PEM certificates, the leaf first, then the CAs that signed it.
        public var certificateChain: PEMText10000

        public init(certificateChain: PEMText10000) { self.certificateChain = certificateChain }
    }

    public struct Response: OCPPPayload {
        public var status: GenericStatus

        public init(status: GenericStatus) { self.status = status }
    }
}
