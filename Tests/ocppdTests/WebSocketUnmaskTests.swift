import NIOCore
import NIOWebSocket
import Testing

@testable import ocppd

@Suite struct WebSocketUnmaskTests {
    /// Eight bytes at a time gives what NIO's byte-at-a-time unmasking gives, for every length around the word size, after
    /// bytes already held (a continuation frame's payload is unmasked with its own key from its own first byte).
    @Test(arguments: [[0x00, 0x00, 0x00, 0x00], [0x12, 0x34, 0x56, 0x78], [0xFF, 0x01, 0x80, 0x7F]] as [[UInt8]])
    func unmasksAsNIODoes(_ keyBytes: [UInt8]) throws {
        let key = try #require(WebSocketMaskingKey(keyBytes))
        for held in [0, 1, 3, 8, 13] {
            for length in 0...40 {
                let payload = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
                var buffer = ByteBuffer(bytes: payload)
                buffer.webSocketUnmask(key)
                let before = (0..<held).map { UInt8(truncatingIfNeeded: 200 &+ $0) }
                var bytes = before + payload
                bytes.unmaskWebSocketPayload(from: held, with: key)
                #expect(Array(bytes[..<held]) == before, "held bytes changed (held \(held), length \(length))")
                #expect(Array(bytes[held...]) == Array(buffer.readableBytesView), "held \(held), length \(length)")
            }
        }
    }
}
