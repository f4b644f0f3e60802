/// One entry of a local authorization list; without idTagInfo, a differential update removes the tag.
public struct AuthorizationData: Codable, Sendable, Equatable {
    public var idTag: IdToken
    public var idTagInfo: IdTagInfo?

    public init(idTag: IdToken, idTagInfo: IdTagInfo? = nil) {
        self.idTag = idTag
        self.idTagInfo = idTagInfo
    }
}
