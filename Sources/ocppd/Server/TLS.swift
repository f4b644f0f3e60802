import NIOCore
import NIOSSL
import Shared
import X509

/// The certificate files of ocppd's TLS listener.
struct TLSFiles: Sendable, Equatable {
    var certificate: String
    var key: String
    /// CA that signs station client certificates (security profile 3); without it no client certificate is asked for.
    var clientCA: String?
}

/// What a station's connection brought besides its HTTP request: whether it is TLS, and the identity its verified
/// client certificate names.
struct StationTransport: Sendable, Equatable {
    var secure: Bool
    /// The common name of the client certificate, present only when it was verified against the client CA.
    var certificateIdentity: String?
    /// The SHA-256 of that certificate: how ocppd finds a certificate it bound to a station (`Certificate.fingerprint`).
    var certificateFingerprint: String?

    static let plain = StationTransport(secure: false)

    /// A TLS transport and the client certificate that was verified, if any.
    static func secure(verified certificate: Certificate?) -> StationTransport {
        StationTransport(
            secure: true, certificateIdentity: certificate.flatMap(TLSSettings.commonName),
            certificateFingerprint: certificate.flatMap { try? $0.fingerprint })
    }
}

/// ocppd's TLS context, made from the files and made again on SIGHUP: new connections get the new certificate,
/// open ones keep the session they have. TLS 1.2 and 1.3 only.
final class TLSSettings: Sendable {
    let files: TLSFiles
    /// The context new connections get: replaced whole by `reload` (SIGHUP) while each new channel's setup reads it on
    /// its event loop. The lock guards the swap only; a channel keeps the context it took.
    private let current: Locked<NIOSSLContext>

    init(files: TLSFiles) throws {
        self.files = files
        current = Locked(try Self.makeContext(files))
    }

    var context: NIOSSLContext { current.withLock { $0 } }

    var verifiesClients: Bool { files.clientCA != nil }

    /// Reads the files again; the old context stays when they do not make a valid one.
    func reload() throws {
        let fresh = try Self.makeContext(files)
        current.withLock { $0 = fresh }
    }

    private static func makeContext(_ files: TLSFiles) throws -> NIOSSLContext {
        let chain = try NIOSSLCertificate.fromPEMFile(files.certificate)
        guard !chain.isEmpty else { throw TLSSettingsError("no certificate in \(files.certificate)") }
        let key = try NIOSSLPrivateKey(file: files.key, format: .pem)
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        // After ocppd closes a connection (the WebSocket closing handshake done, or shutdown) TLS waits for the peer's
        // close_notify, 5 s by default; a station that does not send one would count as connected, and hold up
        // shutdown, that long. Nothing follows a WebSocket close, so no truncation is possible: one second is plenty.
        configuration.shutdownTimeout = .seconds(1)
        if let clientCA = files.clientCA {
            let authorities = try NIOSSLCertificate.fromPEMFile(clientCA)
            guard !authorities.isEmpty else { throw TLSSettingsError("no certificate in \(clientCA)") }
            // Asked for, verified when presented, not required: stations on profile 2 have none. Which station must
            // present one is the handshake's decision (its security profile).
            configuration.certificateVerification = .optionalVerification
            configuration.trustRoots = .certificates(authorities)
        }
        return try NIOSSLContext(configuration: configuration)
    }

    /// What the connection of `channel` brought: TLS or not, and the identity of a verified client certificate.
    /// Runs on the channel's event loop.
    func transport(of channel: any Channel) -> StationTransport {
        guard let handler = try? channel.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self) else {
            return .plain
        }
        return .secure(verified: verifiesClients ? handler.peerCertificate.flatMap { try? Certificate(derEncoded: $0.toDERBytes()) } : nil)
    }

    /// The common name of a certificate's subject, as its characters (not RFC 4514's escaped form); nil when the
    /// subject has none, more than one, or one that is not text.
    static func commonName(_ certificate: Certificate) -> String? {
        certificate.subject.single(.RDNAttributeType.commonName)
    }
}

struct TLSSettingsError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
