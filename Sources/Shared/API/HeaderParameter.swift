import Foundation

/// The parameters of a header such as Content-Type or Content-Disposition: `form-data; name="file"; filename="x.zip"`.
public enum HeaderParameter {
    /// The value of parameter `name` (case-insensitive), without its quotes; nil when absent.
    public static func value(_ name: String, of header: String) -> String? {
        for parameter in header.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2, pair[0].lowercased() == name {
                return pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            }
        }
        return nil
    }
}
