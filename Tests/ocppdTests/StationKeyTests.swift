import Foundation
import Shared
import Testing

@testable import ocppd

@Suite struct StationKeyTests {
    private func header(_ user: String, _ password: [UInt8]) -> String {
        "Basic " + Data(Array(user.utf8) + [UInt8(ascii: ":")] + password).base64EncodedString()
    }

    @Test func theKeyAndOnlyTheKeyOpens() {
        let stored = StationKeyHash.make("0123456789abcdef0123")
        #expect(StationKeyHash.verify("0123456789abcdef0123", against: stored))
        #expect(!StationKeyHash.verify("0123456789abcdef0124", against: stored))
        #expect(!StationKeyHash.verify("", against: stored))
        #expect(!StationKeyHash.verify("0123456789abcdef0123", against: "md5$00$00"))
        #expect(StationKeyHash.make("0123456789abcdef0123") != stored, "salted")
    }

    @Test func aKeyOfHexDigitsAlsoOpensWithTheBytesTheyStandFor() {
        // The white paper's AuthorizationKey: the password's bytes in hex; a charger may send those bytes.
        let bytes: [UInt8] = [
            0x00, 0xff, 0x10, 0x80, 0x41, 0x42, 0xc3, 0x28, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c,
        ]
        for digits in [Hex.string(bytes), Hex.string(bytes, uppercase: true)] {
            let stored = StationKeyHash.make(digits)
            #expect(StationKeyHash.verify(Array(digits.utf8), against: stored))
            #expect(StationKeyHash.verify(bytes, against: stored))
            #expect(!StationKeyHash.verify(Array(bytes.dropLast()), against: stored))
        }
        // Down to 8 bytes (16 digits, the shortest key), not below.
        let short = StationKeyHash.make("0001020304050607")
        #expect(StationKeyHash.verify([0, 1, 2, 3, 4, 5, 6, 7], against: short))
        #expect(!StationKeyHash.verify([0, 1, 2, 3, 4, 5, 6], against: StationKeyHash.make("00010203040506")))
    }

    @Test func theBasicPasswordIsReadAsBytesForExactlyTheIdentity() {
        let binary: [UInt8] = [0xc3, 0x28, 0x3a, 0x00, 0xff]
        #expect(OCPPEndpoint.basicPassword(header("CP-1", binary), identity: "CP-1") == binary, "a colon in the password stays")
        #expect(OCPPEndpoint.basicPassword(header("CP-1", Array("secret".utf8)), identity: "CP-2") == nil)
        #expect(OCPPEndpoint.basicPassword(header("CP-1x", []), identity: "CP-1") == nil)
        // An identity may hold a colon: the credentials start with all of it.
        #expect(OCPPEndpoint.basicPassword(header("CP:1", Array("pw:x".utf8)), identity: "CP:1") == Array("pw:x".utf8))
        #expect(OCPPEndpoint.basicPassword(header("CP-1", []), identity: "CP-1") == [])
        #expect(OCPPEndpoint.basicPassword("Bearer abc", identity: "CP-1") == nil)
        #expect(OCPPEndpoint.basicPassword("Basic !!!", identity: "CP-1") == nil)
        #expect(OCPPEndpoint.basicPassword("basic " + Data("CP-1:pw".utf8).base64EncodedString(), identity: "CP-1") == Array("pw".utf8))
        // Unicode-equivalent but different bytes: not the identity (the URL's identity is compared byte for byte).
        #expect(OCPPEndpoint.basicPassword(header("Cafe\u{301}", []), identity: "Caf\u{e9}") == nil)
    }
}
