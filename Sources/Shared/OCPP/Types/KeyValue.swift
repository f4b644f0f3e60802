/// One configuration key of a charge point, as GetConfiguration reports it.
public struct KeyValue: Codable, Sendable, Equatable {
    public var key: CiString50
    public var readonly: Bool
    /// Absent when the key is known but has no value set.
    public var value: CiString500?

    public init(key: CiString50, readonly: Bool, value: CiString500? = nil) {
        self.key = key
        self.readonly = readonly
        self.value = value
    }
}
