import Foundation
import FuzzSupport
import Shared
import SwiftASN1
import X509

@testable import ocppd

// The request headers ocppd reads itself, before anything is authenticated: a station's HTTP Basic Authorization
// (OCPPEndpoint.basicPassword), a trusted proxy's forwarded client certificate (TrustedProxies.certificate(fromHeader:))
// and X-Forwarded-For entries (hopAddress, then addressBytes); an event stream's Last-Event-ID (EventCursor); a
// --trusted-proxies network (IPNetwork). The first byte picks the parser. Properties: a password
// read for an identity is read again from the header a charger would build from it; a certificate read from a header
// is read again, equal, from RFC 9440's form of it; an address's bytes are those of the address written back, and text
// with a NUL byte (which C would cut short) is no address; a Last-Event-ID and a network read back from their text.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHeaders(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzInput(data, size) { bytes in
        let (parser, rest) = split(bytes, cases: 5)
        let text = String(decoding: rest, as: UTF8.self)
        switch parser {
        case 0:
            guard let password = OCPPEndpoint.basicPassword(text, identity: "CP-1") else { return }
            let header = "Basic " + Data(Array("CP-1:".utf8) + password).base64EncodedString()
            expect(OCPPEndpoint.basicPassword(header, identity: "CP-1") == password, "the password \(password) does not read back")
            expect(OCPPEndpoint.basicPassword(text, identity: "CP-2") == nil, "a header for CP-1 gave a password for CP-2")
        case 1:
            guard let certificate = TrustedProxies.certificate(fromHeader: text) else { return }
            var serializer = DER.Serializer()
            guard (try? serializer.serialize(certificate)) != nil else {
                fatalError("property violated: a certificate read from a header cannot be written back")
            }
            let header = ":" + Data(serializer.serializedBytes).base64EncodedString() + ":"
            expect(TrustedProxies.certificate(fromHeader: header) == certificate, "a forwarded certificate does not read back")
        case 3:
            guard let cursor = EventCursor(lastEventId: text) else { return }
            expect(EventCursor(lastEventId: cursor.description) == cursor, "the Last-Event-ID \(cursor) does not read back")
        case 4:
            guard let network = IPNetwork(text) else { return }
            expect(IPNetwork(network.description) == network, "the network \(network) does not read back")
        default:
            guard let hop = TrustedProxies.hopAddress(Substring(text)), let address = IPNetwork.addressBytes(hop) else { return }
            expect(!hop.utf8.contains(0), "an address with a NUL byte was accepted: \(hop.debugDescription)")
            expect(address.count == 4 || address.count == 16, "an address of \(address.count) bytes")
            // Written back as ocppd writes addresses: a network's text, here of the one address.
            guard let network = IPNetwork(hop) else { fatalError("property violated: the address \(hop) is no network") }
            let text = String(network.description.split(separator: "/")[0])
            expect(IPNetwork.addressBytes(text) == address, "the address \(hop) does not read back")
        }
    }
}

@_cdecl("FuzzHeaders_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzHeaders)
}
