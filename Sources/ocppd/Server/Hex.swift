import Crypto
import Shared

extension Hex {
    static func sha256(_ bytes: some Sequence<UInt8>) -> String { string(SHA256.hash(data: Array(bytes))) }
}
