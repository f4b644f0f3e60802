import Foundation

/// The vendor ids whose DataTransfer from a charge point ocppd answers Accepted (`--data-transfer-vendors`). OCPP 1.6
/// §4.3: a recipient with no implementation for the vendorId answers UnknownVendorId; ocppd implements none itself,
/// it publishes each message as event `data.transfer` for the systems that do, and only the operator knows which
/// vendors those are. Compared case-insensitively: vendorId is a CiString.
struct DataTransferVendors: Sendable, Equatable {
    private let lowercased: Set<String>

    init(_ vendors: [String] = []) {
        lowercased = Set(vendors.map { $0.lowercased() })
    }

    /// A comma-separated list (blank: none); white space around an entry is dropped, an empty or over-long entry is
    /// refused.
    init(setting text: String) throws {
        guard !text.allSatisfy(\.isWhitespace) else {
            self.init()
            return
        }
        let entries = text.split(separator: ",", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        for entry in entries where entry.isEmpty || entry.count > 255 {
            throw ConfigurationError(
                description: "data transfer vendor '\(entry)': a vendorId of 1 to 255 characters (a comma-separated list)")
        }
        self.init(entries)
    }

    func accepts(_ vendorId: String) -> Bool { lowercased.contains(vendorId.lowercased()) }
}
