import Foundation

/// SignedUpdateFirmware: the central system asks a charge point to download, verify and install signed firmware.
public enum SignedUpdateFirmware: OCPPAction {
    public static let name = "SignedUpdateFirmware"
    public static let sender = OCPPSender.centralSystem
    public static let profile = FeatureProfile.security

    public struct Request: OCPPRequest {
        public typealias Action = SignedUpdateFirmware
        public var retries: Int?
        /// Seconds between retries.
        public var retryInterval: Int?
        /// Chosen by the central system; the charge point's SignedFirmwareStatusNotifications carry it.
        public var requestId: Int
        public var firmware: Firmware

        public init(retries: Int? = nil, retryInterval: Int? = nil, requestId: Int, firmware: Firmware) {
            self.retries = retries
            self.retryInterval = retryInterval
            self.requestId = requestId
            self.firmware = firmware
        }
    }

    public struct Response: OCPPPayload {
        public var status: UpdateFirmwareStatus

        public init(status: UpdateFirmwareStatus) { self.status = status }
    }
}

/// A signed firmware image: where it is, when to fetch and install it, and what proves its origin.
public struct Firmware: Codable, Sendable, Equatable {
    public var location: CiString<Length512>
    public var retrieveDateTime: Date
    public var installDateTime: Date?
    /// The PEM certificate whose key signed the image.
    public var signingCertificate: PEMText5500
    /// Base64 of the image's signature.
    public var signature: CiString<Length800>

    public init(
        location: CiString<Length512>, retrieveDateTime: Date, installDateTime: Date? = nil, signingCertificate: PEMText5500,
        signature: CiString<Length800>
    ) {
        self.location = location
        self.retrieveDateTime = retrieveDateTime
        self.installDateTime = installDateTime
        self.signingCertificate = signingCertificate
        self.signature = signature
    }
}

public enum UpdateFirmwareStatus: String, OCPPEnum {
    case accepted = "Accepted"
    case rejected = "Rejected"
    case acceptedCanceled = "AcceptedCanceled"
    case invalidCertificate = "InvalidCertificate"
    case revokedCertificate = "RevokedCertificate"
}
