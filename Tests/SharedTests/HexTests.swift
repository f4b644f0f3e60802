import Testing

@testable import Shared

@Suite struct HexTests {
    @Test func bytesReadBackFromTheirDigitsInEitherCase() {
        let bytes: [UInt8] = [0x00, 0x0f, 0x10, 0xa5, 0xff]
        #expect(Hex.string(bytes) == "000f10a5ff")
        #expect(Hex.string(bytes, uppercase: true) == "000F10A5FF")
        #expect(Hex.string([UInt8]()) == "")
        let all = (0...255).map(UInt8.init)
        #expect(Hex.bytes(Hex.string(all)) == all)
        #expect(Hex.bytes(Hex.string(all, uppercase: true)) == all)
    }
}
