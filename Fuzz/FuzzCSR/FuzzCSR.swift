import Foundation
import FuzzSupport
import SwiftASN1
import X509

@testable import ocppd

// A station's SignCertificate CSR, through CSRCheck: the parse and signature check every CSR must pass, then the
// station CA's rules. Input that is not PEM is taken as DER and wrapped in PEM, so that the fuzzer reaches the ASN.1
// and signature code rather than only the PEM armour. Properties: a CSR is accepted or refused with a Rejection (no
// trap); an accepted CSR written back as PEM is accepted again, equal; the CA's rules decide without trapping, and a CN
// that is neither the identity nor the serial number is refused.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSR(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzInput(data, size) { bytes in
        let text = String(decoding: bytes, as: UTF8.self)
        let pem =
            text.hasPrefix("-----BEGIN")
            ? text
            : "-----BEGIN CERTIFICATE REQUEST-----\n\(Data(bytes).base64EncodedString(options: .lineLength64Characters))\n"
                + "-----END CERTIFICATE REQUEST-----\n"
        guard let csr = try? CSRCheck.parse(pem) else { return }
        guard let again = try? csr.serializeAsPEM().pemString else {
            fatalError("property violated: an accepted CSR cannot be written back")
        }
        expect((try? CSRCheck.parse(again)) == csr, "an accepted CSR written back is not the same CSR")
        let rules = bytes.count % 4  // which of the CA's optional rules apply: an organization, a serial that is taken
        _ = try? CSRCheck.check(
            csr, identity: "CP-1", serialNumber: "SN-1", serialIsAnotherStation: rules & 1 == 1,
            organization: rules & 2 == 2 ? "Example" : nil)
        let commonName = csr.subject.single(.RDNAttributeType.commonName)
        if commonName != "CP-1" && commonName != "SN-1" {
            expect(
                (try? CSRCheck.check(csr, identity: "CP-1", serialNumber: "SN-1", serialIsAnotherStation: false, organization: nil)) == nil,
                "a CSR for CN \(commonName ?? "none") passed as CP-1's")
        }
    }
}

@_cdecl("FuzzCSR_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzCSR)
}
