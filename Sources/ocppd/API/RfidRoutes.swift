import Foundation
import Hummingbird
import Shared

/// Body of POST /api/rfid.
struct CreateCardBody: Decodable {
    var idTag: IdToken
    var expiryDate: Date?
    var parentIdTag: IdToken?
    var description: String?
}

extension APIRoutes {
    func addRfidRoutes(to api: RouterGroup<APIRequestContext>) {
        /// RFID cards.
        api.get("rfid") { request, _ in
            try API.list(try await store.cards(try API.pageRequest(request)))
        }

        /// Recently presented tags that are not known (adopt one with POST /api/rfid).
        api.get("rfid/unknown") { request, _ in
            try API.list(API.page(await centralSystem.unknownTags.all, try API.pageRequest(request)))
        }

        /// One RFID card.
        api.get("rfid/:tagId") { _, context in
            let tag = try API.pathParameter(context, "tagId")
            return try API.json(try await store.card(tag).orNotFound("unknown RFID tag '\(tag)'"))
        }

        /// Creates a card (409 if the tag exists).
        api.post("rfid") { request, _ in
            let body = try await API.body(CreateCardBody.self, from: request, maxSize: configuration.maxBodySize)
            guard !body.idTag.value.isEmpty else {
                throw Problem(status: .badRequest, detail: "invalid field 'idTag': must not be empty", extra: ["field": "idTag"])
            }
            let card = RfidCard(
                idTag: body.idTag.value, status: .accepted, expiryDate: body.expiryDate, parentIdTag: body.parentIdTag?.value,
                description: body.description, createdAt: Date())
            do {
                try await store.createCard(card)
            } catch StoreError.conflict {
                throw Problem(status: .conflict, detail: "RFID tag '\(card.idTag)' exists already")
            }
            await centralSystem.unknownTags.forget(card.idTag)
            return try API.json(try await store.card(card.idTag) ?? card, status: .created)
        }

        /// Blocks a card: Authorize and StartTransaction answer Blocked.
        api.post("rfid/:tagId/block") { _, context in
            let tag = try API.pathParameter(context, "tagId")
            return try API.json(try await store.setCardStatus(tag, .blocked).orNotFound("unknown RFID tag '\(tag)'"))
        }

        /// Activates a blocked card.
        api.post("rfid/:tagId/activate") { _, context in
            let tag = try API.pathParameter(context, "tagId")
            return try API.json(try await store.setCardStatus(tag, .accepted).orNotFound("unknown RFID tag '\(tag)'"))
        }

        /// Deletes a card; answers 200 with the card as it was.
        api.delete("rfid/:tagId") { _, context in
            let tag = try API.pathParameter(context, "tagId")
            return try API.json(try await store.deleteCard(tag).orNotFound("unknown RFID tag '\(tag)'"))
        }
    }
}
