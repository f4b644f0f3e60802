/// SignCertificate: a charge point sends a certificate signing request for its client certificate (use case A02/A03).
public enum SignCertificate: OCPPAction {
    public static let name = "SignCertificate"
    public static let sender = OCPPSender.chargePoint
    public static let profile = FeatureProfile.security

    public struct Request: OCPPRequest {
        public typealias Action = SignCertificate
        /// The PEM-encoded PKCS#10 request.
        public var csr: PEMText5500

        public init(csr: PEMText5500) { self.csr = csr }
    }

    public struct Response: OCPPPayload {
        public var status: GenericStatus

        public init(status: GenericStatus) { self.status = status }
    }
}

/// Accepted or Rejected.
public enum GenericStatus: String, OCPPEnum {
    case accepted = "Accepted"
    case rejected = "Rejected"
}
