import Foundation
import Hummingbird
import Shared

/// Body of POST /api/certificate-requests/{id}/sign.
struct SignBody: Decodable {
    /// PEM: the leaf signed by the operator's CA first, then that CA's certificates.
    var certificateChain: String
}

extension APIRoutes {
    func addSecurityRoutes(to api: RouterGroup<APIRequestContext>) {
        /// The security events of a station (SecurityEventNotification), newest first by the station's timestamp.
        api.get("stations/:cpId/security-events") { request, context in
            let id = try API.pathParameter(context, "cpId")
            guard try await store.station(id) != nil else { throw Problem.notFound("unknown station '\(id)'") }
            return try API.list(try await store.securityEvents(cpId: id, try API.pageRequest(request)))
        }

        /// The security events of every station (`?cpId=` narrows them to one), newest first by the stations' timestamps.
        api.get("security-events") { request, _ in
            let cpId = request.uri.queryParameters["cpId"].map(String.init)
            return try API.list(try await store.securityEvents(cpId: cpId, try API.pageRequest(request)))
        }

        /// Certificate signing requests of stations (SignCertificate), newest first; `?cpId=` and `?status=` narrow them.
        api.get("certificate-requests") { request, _ in
            let cpId = request.uri.queryParameters["cpId"].map(String.init)
            let status: CertificateRequest.Status? = try API.enumQuery(request, "status")
            return try API.list(try await store.certificateRequests(cpId: cpId, status: status, try API.pageRequest(request)))
        }

        /// One certificate signing request.
        api.get("certificate-requests/:id") { _, context in
            let id = try API.intParameter(context, "id")
            return try API.json(try await store.certificateRequest(id).orNotFound("unknown certificate request \(id)"))
        }

        /// Sends the station a chain signed by the operator's own CA for a pending request (CertificateSigned); answers
        /// the station's answer. 400 when the chain's first certificate is not for the request's key.
        api.post("certificate-requests/:id/sign") { request, context in
            let id = try API.intParameter(context, "id")
            let body = try await API.body(SignBody.self, from: request, maxSize: configuration.maxBodySize)
            return API.jsonValue(try await security.sign(requestId: id, chain: body.certificateChain))
        }

        /// Refuses a pending request; the station may send another.
        api.post("certificate-requests/:id/reject") { _, context in
            let id = try API.intParameter(context, "id")
            return try API.json(try await security.reject(requestId: id))
        }
    }
}
