import Shared

/// The OpenAPI 3.1 description of the REST API. A test checks that its paths are exactly the router's.
enum OpenAPIDocument {
    static let document: JSONValue = [
        "openapi": "3.1.0",
        "info": [
            "title": "ocppd REST API",
            "version": .string(OCPPGateway.version),
            "description": "Stations, sessions, RFID cards and reservations of an OCPP 1.6J central system.",
        ],
        "security": [["bearer": []]],
        "paths": .object(withRoles(paths)),
        "components": [
            "securitySchemes": ["bearer": ["type": "http", "scheme": "bearer"]],
            "schemas": .object(schemas),
            "responses": [
                "Problem": [
                    "description": "An error (RFC 9457).",
                    "content": ["application/problem+json": ["schema": ref("Problem")]],
                ]
            ],
        ],
    ]

    /// Each /api operation says which role it needs (`x-ocppd-role`), from the rules the API applies.
    private static func withRoles(_ paths: JSONObject) -> JSONObject {
        JSONObject(
            paths.members.map { path in
                guard path.key.hasPrefix("/api/"), case .object(let operations) = path.value else { return path }
                let annotated = operations.members.map { operation -> (key: String, value: JSONValue) in
                    guard case .object(var object) = operation.value else { return operation }
                    let role = RoutePermissions.required(method: .init(operation.key.uppercased())!, route: path.key)
                    object["x-ocppd-role"] = .string(role.rawValue)
                    return (operation.key, .object(object))
                }
                return (path.key, .object(JSONObject(annotated)))
            })
    }

    private static func ref(_ name: String) -> JSONValue { ["$ref": .string("#/components/schemas/\(name)")] }

    private static func string(_ format: String? = nil, nullable: Bool = false) -> JSONValue {
        var object: JSONObject = ["type": nullable ? ["string", "null"] : "string"]
        if let format { object["format"] = .string(format) }
        return .object(object)
    }

    private static func integer(nullable: Bool = false) -> JSONValue {
        ["type": nullable ? ["integer", "null"] : "integer"]
    }

    private static let boolean: JSONValue = ["type": "boolean"]

    private static func object(_ properties: JSONObject, required: [String]) -> JSONValue {
        ["type": "object", "properties": .object(properties), "required": .array(required.map { .string($0) })]
    }

    private static let schemas: JSONObject = [
        "Connector": object(
            [
                "connectorId": integer(), "status": string(), "errorCode": string(), "info": string(nullable: true),
                "vendorId": string(nullable: true), "vendorErrorCode": string(nullable: true), "updatedAt": string("date-time"),
                "availability": [
                    "oneOf": [ref("ConnectorAvailability"), ["type": "null"]],
                    "description": "The last ChangeAvailability the station accepted or scheduled for this connector or the whole station",
                ],
            ], required: ["connectorId", "status", "errorCode", "updatedAt"]),
        "ConnectorAvailability": object(
            [
                "requested": ["type": "string", "enum": ["Operative", "Inoperative"]],
                "status": ["type": "string", "enum": ["Accepted", "Scheduled"]], "at": string("date-time"),
            ], required: ["requested", "status", "at"]),
        "ConfigurationEntry": object(
            ["key": string(), "value": string(nullable: true), "readonly": boolean], required: ["key", "readonly"]),
        "ChargingProfile": object(
            [
                "connectorId": integer(), "chargingProfileId": integer(), "stackLevel": integer(), "chargingProfilePurpose": string(),
                "profile": ["type": "object", "description": "csChargingProfiles as sent with SetChargingProfile"],
                "setAt": string("date-time"),
            ], required: ["connectorId", "chargingProfileId", "stackLevel", "chargingProfilePurpose", "profile", "setAt"]),
        "CommandRecord": object(
            [
                "cpId": string(), "action": string(), "request": ["type": "object"],
                "response": ["type": ["object", "null"], "description": "The CALLRESULT payload; null when the command failed"],
                "error": string(nullable: true), "at": string("date-time"),
            ], required: ["cpId", "action", "request", "at"]),
        "Station": object(
            [
                "id": string(), "registrationStatus": ["type": "string", "enum": ["Accepted", "Pending", "Rejected"]],
                "connected": boolean,
                "node": [
                    "type": ["string", "null"],
                    "description": "In a cluster, the node that holds the station's connection; null when not connected or not a cluster",
                ],
                "vendor": string(nullable: true), "model": string(nullable: true),
                "serialNumber": string(nullable: true), "chargeBoxSerialNumber": string(nullable: true),
                "firmwareVersion": string(nullable: true), "iccid": string(nullable: true), "imsi": string(nullable: true),
                "meterType": string(nullable: true), "meterSerialNumber": string(nullable: true), "description": string(nullable: true),
                "securityProfile": integer(), "hasAuthorizationKey": boolean, "lastHeartbeatAt": string("date-time", nullable: true),
                "lastBootAt": string("date-time", nullable: true), "firmwareStatus": string(nullable: true),
                "firmwareRequestId": integer(nullable: true), "diagnosticsStatus": string(nullable: true),
                "logStatus": string(nullable: true), "logRequestId": integer(nullable: true),
                "connectedSecurityProfile": [
                    "type": ["integer", "null"],
                    "description": "The security profile (0 to 3) the current connection's credentials satisfied; null when not connected",
                ],
                "siteId": string(nullable: true),
                "createdAt": string("date-time"),
                "connectors": ["type": "array", "items": ref("Connector")],
                "localListVersion": integer(nullable: true),
                "configuration": [
                    "type": ["array", "null"], "items": ref("ConfigurationEntry"),
                    "description":
                        "What GetConfiguration returned, with accepted ChangeConfiguration values (one station only; null in lists)",
                ],
                "configurationReadAt": string("date-time", nullable: true),
                "unknownConfigurationKeys": ["type": ["array", "null"], "items": ["type": "string"]],
                "chargingProfiles": [
                    "type": ["array", "null"], "items": ref("ChargingProfile"),
                    "description": "Profiles the station accepted and no ClearChargingProfile removed (one station only; null in lists)",
                ],
                "localList": [
                    "type": ["array", "null"], "items": ref("LocalListEntry"),
                    "description":
                        "The local authorization list as accepted SendLocalList requests left it (one station only; null in lists)",
                ],
                "lastFirmwareUpdate": ["oneOf": [ref("CommandRecord"), ["type": "null"]]],
                "lastDiagnosticsRequest": ["oneOf": [ref("CommandRecord"), ["type": "null"]]],
                "certificate": [
                    "oneOf": [ref("StationCertificate"), ["type": "null"]],
                    "description": "The client certificate the station took last (one station only; null in lists)",
                ],
            ], required: ["id", "registrationStatus", "connected", "securityProfile", "createdAt", "connectors"]),
        "StoredFile": object(
            [
                "id": string(), "kind": ["type": "string", "enum": ["diagnostics", "log", "firmware"]], "cpId": string(nullable: true),
                "requestId": integer(nullable: true), "name": string(), "size": integer(), "sha256": string(),
                "createdAt": string("date-time"),
            ], required: ["id", "kind", "name", "size", "sha256", "createdAt"]),
        "StationCertificate": object(
            ["serialNumber": string(), "notAfter": string("date-time")], required: ["serialNumber", "notAfter"]),
        "SecurityEvent": object(
            [
                "cpId": string(), "type": string(), "timestamp": string("date-time"), "techInfo": string(nullable: true),
                "receivedAt": string("date-time"),
            ], required: ["cpId", "type", "timestamp", "receivedAt"]),
        "CertificateRequest": object(
            [
                "id": integer(), "cpId": string(), "csr": string(),
                "status": ["type": "string", "enum": ["pending", "signed", "rejected"]], "reason": string(nullable: true),
                "receivedAt": string("date-time"), "decidedAt": string("date-time", nullable: true),
            ], required: ["id", "cpId", "csr", "status", "receivedAt"]),
        "CertificateChain": object(
            ["certificateChain": ["type": "string", "maxLength": 10000, "description": "PEM: the leaf first, then its CA"]],
            required: ["certificateChain"]),
        "ClusterNode": object(
            [
                "id": string(), "url": string(), "alive": boolean, "stations": integer(),
                "lastSeenAt": string("date-time"), "startedAt": string("date-time"),
            ], required: ["id", "url", "alive", "stations", "lastSeenAt"]),
        "LocalListEntry": object(
            [
                "idTag": string(), "status": string(nullable: true), "expiryDate": string("date-time", nullable: true),
                "parentIdTag": string(nullable: true),
            ], required: ["idTag"]),
        "StationUpdate": [
            "type": "object",
            "properties": [
                "registrationStatus": ["type": ["string", "null"], "enum": ["Accepted", "Pending", "Rejected", nil]],
                "authorizationKey": ["type": ["string", "null"], "minLength": 16, "maxLength": 40],
                "securityProfile": ["type": ["integer", "null"], "minimum": 0, "maximum": 3],
                "description": string(nullable: true),
                "siteId": [
                    "type": ["string", "null"], "minLength": 1, "maxLength": 64,
                    "description": "The site the station joins (it must exist); null leaves its site",
                ],
            ],
        ],
        "SiteUpdate": object(
            [
                "limit": ["type": "number", "exclusiveMinimum": 0, "maximum": 10_000_000], "unit": ["type": "string", "enum": ["A", "W"]],
                // null, as absent: the default.
                "phases": ["type": ["integer", "null"], "enum": [1, 3, nil]],
                "voltage": ["type": ["number", "null"], "exclusiveMinimum": 0, "maximum": 1000],
                "minPerConnector": ["type": ["number", "null"], "minimum": 0, "maximum": 10_000_000],
                "fallbackLimit": ["type": ["number", "null"], "minimum": 0, "maximum": 10_000_000],
                "description": ["type": ["string", "null"], "maxLength": 255],
            ], required: ["limit", "unit"]),
        "TokenCreate": object(
            [
                "name": ["type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"],
                "role": ["type": "string", "enum": ["viewer", "technician", "admin"]],
                "expiresAt": string("date-time", nullable: true),
            ], required: ["name", "role"]),
        "NamedToken": object(
            [
                "name": string(), "role": ["type": "string", "enum": ["viewer", "technician", "admin"]],
                "token": ["type": "string", "description": "The secret: in the answer to POST /api/tokens only"],
                "expiresAt": string("date-time", nullable: true), "createdAt": string("date-time"),
            ], required: ["name", "role", "expiresAt", "createdAt"]),
        "Caller": object(
            [
                "name": string(), "role": ["type": "string", "enum": ["viewer", "technician", "admin"]],
                "expiresAt": string("date-time", nullable: true),
            ], required: ["name", "role", "expiresAt"]),
        "AuditEntry": object(
            [
                "id": integer(), "at": string("date-time"), "token": string(), "method": string(), "path": string(),
                "cpId": string(nullable: true), "command": string(nullable: true), "body": string(nullable: true), "status": integer(),
                "result": string(nullable: true),
            ], required: ["id", "at", "token", "method", "path", "cpId", "command", "body", "status", "result"]),
        "WebhookCreate": object(
            [
                "url": ["type": "string", "format": "uri", "maxLength": 2048],
                "events": ["type": "array", "items": ["type": "string"], "minItems": 1, "maxItems": 100],
                "cpIds": ["type": ["array", "null"], "items": ["type": "string"], "minItems": 1, "maxItems": 1000],
                "secret": ["type": "string", "minLength": 1, "maxLength": 1024],
            ], required: ["url", "events", "secret"]),
        "Webhook": object(
            [
                "id": integer(), "url": string(), "events": ["type": "array", "items": ["type": "string"]],
                "cpIds": ["type": ["array", "null"], "items": ["type": "string"]], "enabled": boolean, "createdAt": string("date-time"),
                "failingSince": string("date-time", nullable: true), "node": string(nullable: true),
            ], required: ["id", "url", "events", "cpIds", "enabled", "createdAt", "failingSince", "node"]),
        "WebhookDelivery": object(
            [
                "id": integer(), "eventId": string(), "eventType": string(), "attempt": integer(), "at": string("date-time"),
                "status": integer(nullable: true), "error": string(nullable: true), "durationMs": integer(),
            ], required: ["id", "eventId", "eventType", "attempt", "at", "status", "error", "durationMs"]),
        "Site": object(
            [
                "siteId": string(), "limit": ["type": "number"], "unit": ["type": "string", "enum": ["A", "W"]], "phases": integer(),
                "voltage": ["type": "number"], "minPerConnector": ["type": "number"], "fallbackLimit": ["type": "number"],
                "description": string(nullable: true), "stations": ["type": "array", "items": ["type": "string"]],
                "allocations": ["type": "array", "items": ref("SiteAllocation")], "allocated": ["type": "number"],
                "node": ["type": ["string", "null"], "description": "In a cluster, the node that computes the site's shares now"],
            ],
            required: [
                "siteId", "limit", "unit", "phases", "voltage", "minPerConnector", "fallbackLimit", "stations", "allocations", "allocated",
            ]),
        "SiteAllocation": object(
            [
                "cpId": string(), "connectorId": integer(), "transactionId": integer(), "limit": ["type": "number"],
                "measured": ["type": ["number", "null"]],
            ], required: ["cpId", "connectorId", "transactionId", "limit"]),
        "Session": object(
            [
                "transactionId": integer(), "cpId": string(), "connectorId": integer(), "idTag": string(), "idTagStatus": string(),
                "stopIdTag": string(nullable: true), "meterStart": integer(), "meterStop": integer(nullable: true),
                "energyWh": integer(nullable: true), "startedAt": string("date-time"), "stoppedAt": string("date-time", nullable: true),
                "stopReason": string(nullable: true), "reservationId": integer(nullable: true), "active": boolean,
                "lastPowerW": ["type": ["number", "null"], "description": "An active session's last reported power, W"],
                "lastMeterValueAt": string("date-time", nullable: true),
            ], required: ["transactionId", "cpId", "connectorId", "idTag", "meterStart", "startedAt", "active"]),
        "MeterValue": object(
            [
                "timestamp": string("date-time"), "cpId": string(), "transactionId": integer(nullable: true), "connectorId": integer(),
                "measurand": string(), "value": string(), "unit": string(nullable: true), "context": string(nullable: true),
                "phase": string(nullable: true), "location": string(nullable: true), "format": string(nullable: true),
            ], required: ["timestamp", "connectorId", "measurand", "value"]),
        "RfidCard": object(
            [
                "idTag": string(), "status": ["type": "string", "enum": ["Accepted", "Blocked"]],
                "expiryDate": string("date-time", nullable: true), "parentIdTag": string(nullable: true),
                "description": string(nullable: true), "createdAt": string("date-time"),
            ], required: ["idTag", "status", "createdAt"]),
        "RfidCardCreate": [
            "type": "object",
            "required": ["idTag"],
            "properties": [
                "idTag": ["type": "string", "minLength": 1, "maxLength": 20],
                "expiryDate": ["type": ["string", "null"], "format": "date-time", "minLength": 20],
                "parentIdTag": ["type": ["string", "null"], "maxLength": 20], "description": string(nullable: true),
            ],
        ],
        "Reservation": object(
            [
                "reservationId": integer(), "cpId": string(), "connectorId": integer(), "idTag": string(),
                "parentIdTag": string(nullable: true), "expiryDate": string("date-time"),
                "status": [
                    "type": "string",
                    "enum": ["Requested", "Accepted", "Faulted", "Occupied", "Rejected", "Unavailable", "Cancelled", "Used", "Expired"],
                ],
                "createdAt": string("date-time"),
            ], required: ["reservationId", "cpId", "connectorId", "idTag", "expiryDate", "status"]),
        "UnknownSighting": object(
            [
                "id": string(), "firstSeenAt": string("date-time"), "lastSeenAt": string("date-time"), "count": integer(),
                "seenAt": string(nullable: true),
            ], required: ["id", "firstSeenAt", "lastSeenAt", "count"]),
        "Token": object(["token": string()], required: ["token"]),
        "Problem": object(
            ["type": string(), "title": string(), "status": integer(), "detail": string(), "field": string()],
            required: ["title", "status", "detail"]),
    ]

    /// The largest integer a client's JSON number keeps exactly (2^53 - 1): offsets and ids up to it are taken.
    static let largestInteger = JSONValue.integer(Int64(API.maxOffset))

    private static let limitOffset: [JSONValue] = [
        ["name": "limit", "in": "query", "schema": ["type": "integer", "minimum": 1, "maximum": 1000, "default": 100]],
        ["name": "offset", "in": "query", "schema": ["type": "integer", "minimum": 0, "maximum": largestInteger, "default": 0]],
    ]

    /// Station ids are what a charge point may use as its identity (`OCPPEndpoint.isValidIdentity`).
    private static let stationIdSchema: JSONValue = [
        "type": "string", "minLength": 1, "maxLength": .integer(Int64(OCPPEndpoint.maxIdentityLength)),
        "pattern": "^[^/\\u0000-\\u001f\\u007f-\\u009f]+$",
    ]

    private static func pathParameter(_ name: String, integer: Bool = false) -> JSONValue {
        let schema: JSONValue =
            integer ? ["type": "integer", "minimum": 0, "maximum": largestInteger] : name == "cpId" ? stationIdSchema : ["type": "string"]
        return ["name": .string(name), "in": "path", "required": true, "schema": schema]
    }

    /// The methods the document lists for a concrete path, for 405 answers. `{name}` matches one segment, and as in
    /// the router a literal segment wins over it (`/api/stations/unknown` is not `/api/stations/{cpId}`).
    static func methods(forPath path: String) -> [String] {
        guard case .object(let paths) = document["paths"] else { return [] }
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        let matches = paths.members.compactMap { template -> (literals: Int, methods: [String])? in
            let parts = template.key.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == segments.count,
                zip(parts, segments).allSatisfy({ part, segment in (part.hasPrefix("{") && !segment.isEmpty) || part == segment })
            else { return nil }
            return (parts.count { !$0.hasPrefix("{") }, (template.value.objectValue?.keys ?? []).map { $0.uppercased() })
        }
        let best = matches.map(\.literals).max()
        return matches.filter { $0.literals == best }.flatMap(\.methods)
    }

    private static func query(_ name: String, _ schema: JSONValue) -> JSONValue {
        ["name": .string(name), "in": "query", "schema": schema]
    }

    private static func operation(
        _ summary: String, parameters: [JSONValue] = [], body: String? = nil, bodyRequired: Bool = true, responses: JSONObject
    ) -> JSONValue {
        var responses = responses
        responses["401"] = ["$ref": "#/components/responses/Problem"]
        responses["403"] = ["$ref": "#/components/responses/Problem"]
        responses["default"] = ["$ref": "#/components/responses/Problem"]
        var object: JSONObject = ["summary": .string(summary), "responses": .object(responses)]
        if !parameters.isEmpty { object["parameters"] = .array(parameters) }
        if let body {
            object["requestBody"] = ["required": .bool(bodyRequired), "content": ["application/json": ["schema": ref(body)]]]
        }
        return .object(object)
    }

    private static func ok(_ schema: String, status: String = "200", description: String = "OK") -> JSONObject {
        [status: ["description": .string(description), "content": ["application/json": ["schema": ref(schema)]]]]
    }

    private static func list(_ schema: String) -> JSONObject {
        [
            "200": [
                "description": "A page of the list; X-Total-Count gives the total.",
                "headers": ["X-Total-Count": ["schema": ["type": "integer"]]],
                "content": ["application/json": ["schema": ["type": "array", "items": ref(schema)]]],
            ]
        ]
    }

    /// `?format=csv` (or `Accept: text/csv`): the whole list the filters take as CSV, without paging.
    private static let formatQuery = query("format", ["type": "string", "enum": ["json", "csv"]])

    private static func csvList(_ schema: String) -> JSONObject {
        var responses = list(schema)
        guard case .object(var ok)? = responses["200"], case .object(var content)? = ok["content"] else { return responses }
        content["text/csv"] = ["schema": ["type": "string", "description": "A header row, then one row per item (RFC 4180)"]]
        ok["content"] = .object(content)
        responses["200"] = .object(ok)
        return responses
    }

    private static let status: JSONObject = [
        "200": ["description": "OK", "content": ["application/json": ["schema": ["type": "object"]]]]
    ]

    private static let paths: JSONObject = [
        "/healthz": ["get": operation("Liveness", responses: status).withoutSecurity],
        "/readyz": ["get": operation("Readiness: the store answers", responses: status).withoutSecurity],
        "/metrics": [
            "get": operation("Prometheus metrics", responses: ["200": ["description": "Prometheus text format"]]).withoutSecurity
        ],
        "/api/openapi.json": ["get": operation("This document", responses: status)],
        "/api/token/rotate": [
            "post": operation(
                "A new bearer token, in force at once (the old one stops working) and saved in the data directory; "
                    + "409 when the token is configured", responses: ok("Token"))
        ],
        "/api/stations": [
            "get": operation("Stations", parameters: limitOffset + [query("connected", boolean)], responses: list("Station"))
        ],
        "/api/stations/connected/list": ["get": operation("Connected stations", parameters: limitOffset, responses: list("Station"))],
        "/api/stations/unknown": [
            "get": operation("Recently seen unknown stations", parameters: limitOffset, responses: list("UnknownSighting"))
        ],
        "/api/stations/{cpId}": [
            "get": operation("One station", parameters: [pathParameter("cpId")], responses: ok("Station")),
            "put": operation(
                "Register, accept or configure a station (no body: {})", parameters: [pathParameter("cpId")], body: "StationUpdate",
                bodyRequired: false,
                responses: ok("Station").merging(ok("Station", status: "201", description: "Created"))),
            "delete": operation(
                "Remove a station; answers with it as it was", parameters: [pathParameter("cpId")], responses: ok("Station")),
        ],
        "/api/stations/{cpId}/status-history": [
            "get": operation(
                "The station's StatusNotifications, newest first",
                parameters: limitOffset + [
                    pathParameter("cpId"), query("connectorId", ["type": "integer", "minimum": 0, "maximum": .integer(Int64(Int32.max))]),
                ], responses: list("Connector"))
        ],
        "/api/sessions": [
            "get": operation(
                "Charging sessions, newest first",
                parameters: limitOffset + [
                    query("cpId", string()), query("idTag", string()), query("active", boolean), query("since", string("date-time")),
                    query("until", string("date-time")), formatQuery,
                ], responses: csvList("Session"))
        ],
        "/api/sessions/station/{cpId}": [
            "get": operation("Sessions of one station", parameters: limitOffset + [pathParameter("cpId")], responses: list("Session"))
        ],
        "/api/sessions/{id}": ["get": operation("One session", parameters: [pathParameter("id", integer: true)], responses: ok("Session"))],
        "/api/sessions/{id}/meter-values": [
            "get": operation(
                "Meter values of one session, oldest first", parameters: limitOffset + [pathParameter("id", integer: true), formatQuery],
                responses: csvList("MeterValue"))
        ],
        "/api/rfid": [
            "get": operation("RFID cards", parameters: limitOffset, responses: list("RfidCard")),
            "post": operation(
                "Create an RFID card", body: "RfidCardCreate", responses: ok("RfidCard", status: "201", description: "Created")),
        ],
        "/api/rfid/unknown": [
            "get": operation("Recently presented unknown tags", parameters: limitOffset, responses: list("UnknownSighting"))
        ],
        "/api/rfid/{tagId}": [
            "get": operation("One RFID card", parameters: [pathParameter("tagId")], responses: ok("RfidCard")),
            "delete": operation(
                "Delete an RFID card; answers with it as it was", parameters: [pathParameter("tagId")], responses: ok("RfidCard")),
        ],
        "/api/rfid/{tagId}/block": ["post": operation("Block a card", parameters: [pathParameter("tagId")], responses: ok("RfidCard"))],
        "/api/rfid/{tagId}/activate": [
            "post": operation("Activate a card", parameters: [pathParameter("tagId")], responses: ok("RfidCard"))
        ],
        "/api/reservations": ["get": operation("Reservations", parameters: limitOffset, responses: list("Reservation"))],
        "/api/admin/{cpId}/{command}": [
            "post": [
                "summary":
                    "Send a central-system command: the body is the OCPP 1.6 request payload, the answer the charge point's CALLRESULT payload",
                "parameters": [
                    pathParameter("cpId"),
                    [
                        "name": "command", "in": "path", "required": true,
                        "schema": ["type": "string", "enum": .array(OCPPActions.commands.keys.sorted().map { .string($0) })],
                    ],
                ],
                "requestBody": ["required": false, "content": ["application/json": ["schema": ["type": "object"]]]],
                "responses": [
                    "200": [
                        "description": "The charge point's CALLRESULT payload",
                        "content": ["application/json": ["schema": ["type": "object"]]],
                    ],
                    "400": ["$ref": "#/components/responses/Problem"],
                    "401": ["$ref": "#/components/responses/Problem"],
                    "404": ["$ref": "#/components/responses/Problem"],
                    "409": ["$ref": "#/components/responses/Problem"],
                    "502": ["$ref": "#/components/responses/Problem"],
                    "503": ["$ref": "#/components/responses/Problem"],
                    "504": ["$ref": "#/components/responses/Problem"],
                ],
            ]
        ],
        "/api/stations/{cpId}/security-events": [
            "get": operation(
                "The station's security events (SecurityEventNotification), newest first by its timestamp",
                parameters: limitOffset + [pathParameter("cpId")], responses: list("SecurityEvent"))
        ],
        "/api/security-events": [
            "get": operation(
                "Every station's security events, newest first", parameters: limitOffset + [query("cpId", string())],
                responses: list("SecurityEvent"))
        ],
        "/api/certificate-requests": [
            "get": operation(
                "Stations' certificate signing requests (SignCertificate), newest first",
                parameters: limitOffset + [
                    query("cpId", string()), query("status", ["type": "string", "enum": ["pending", "signed", "rejected"]]),
                ],
                responses: list("CertificateRequest"))
        ],
        "/api/certificate-requests/{id}": [
            "get": operation(
                "One certificate signing request", parameters: [pathParameter("id", integer: true)], responses: ok("CertificateRequest"))
        ],
        "/api/certificate-requests/{id}/sign": [
            "post": operation(
                "Send the station a chain signed by the operator's CA for a pending request (CertificateSigned); answers the station's answer",
                parameters: [pathParameter("id", integer: true)], body: "CertificateChain", responses: status)
        ],
        "/api/certificate-requests/{id}/reject": [
            "post": operation(
                "Reject a pending request", parameters: [pathParameter("id", integer: true)], responses: ok("CertificateRequest"))
        ],
        "/files/upload/{token}": [
            "put": operation(
                "A charger's upload to the one-time URL ocppd gave it (get-diagnostics, get-log without a location): the raw file",
                parameters: [pathParameter("token")], responses: ok("StoredFile", status: "201", description: "Created")
            ).withoutSecurity,
            "post": operation(
                "The same as multipart/form-data: the first file part is kept", parameters: [pathParameter("token")],
                responses: ok("StoredFile", status: "201", description: "Created")
            ).withoutSecurity,
        ],
        "/files/firmware/{id}/{name}": [
            "get": operation(
                "A firmware image for chargers, at the URL POST /api/firmware answered (HEAD and one Range byte range welcome)",
                parameters: [pathParameter("id"), pathParameter("name")],
                responses: ["200": ["description": "The image", "content": ["application/octet-stream": ["schema": ["type": "string"]]]]]
            ).withoutSecurity,
            "head": operation(
                "The image's size (Content-Length), as chargers ask before they download",
                parameters: [pathParameter("id"), pathParameter("name")],
                responses: ["200": ["description": "The image's headers"]]
            ).withoutSecurity,
        ],
        "/api/firmware": [
            "post": [
                "summary": .string(
                    "Store a firmware image: the raw body with ?name=, or multipart/form-data's first file part; 201 with its id, "
                        + "size, SHA-256 and the URL chargers fetch it from (update-firmware and signed-update-firmware take its id as firmwareId)"
                ),
                "parameters": [query("name", string())],
                "requestBody": [
                    "required": true,
                    "content": [
                        "application/octet-stream": ["schema": ["type": "string", "format": "binary"]],
                        "multipart/form-data": [
                            "schema": [
                                "type": "object", "properties": ["file": ["type": "string", "format": "binary"]], "required": ["file"],
                            ]
                        ],
                    ],
                ],
                "responses": [
                    "201": [
                        "description": "Created",
                        "content": [
                            "application/json": [
                                "schema": ["allOf": [ref("StoredFile"), object(["url": string(nullable: true)], required: ["url"])]]
                            ]
                        ],
                    ],
                    "401": ["$ref": "#/components/responses/Problem"],
                    "default": ["$ref": "#/components/responses/Problem"],
                ],
            ]
        ],
        "/api/files": [
            "get": operation(
                "Kept files (diagnostics, logs, firmware), newest first",
                parameters: limitOffset + [
                    query("cpId", string()), query("kind", ["type": "string", "enum": ["diagnostics", "log", "firmware"]]),
                ], responses: list("StoredFile"))
        ],
        "/api/files/{id}": [
            "get": operation(
                "Download a kept file (Range: one byte range, 206; Repr-Digest: its SHA-256); in a cluster through any node",
                parameters: [pathParameter("id")],
                responses: ["200": ["description": "The file", "content": ["application/octet-stream": ["schema": ["type": "string"]]]]]),
            "delete": operation("Remove a kept file; answers it as it was", parameters: [pathParameter("id")], responses: ok("StoredFile")),
        ],
        "/api/sites": ["get": operation("Sites and the limits in force on them", parameters: limitOffset, responses: list("Site"))],
        "/api/sites/{siteId}": [
            "get": operation("One site", parameters: [pathParameter("siteId")], responses: ok("Site")),
            "put": operation(
                "Create or change a site: its stations' sessions share its limit", parameters: [pathParameter("siteId")],
                body: "SiteUpdate", responses: ok("Site").merging(ok("Site", status: "201", description: "Created"))),
            "delete": operation(
                "Remove a site (its stations leave it); answers with it as it was", parameters: [pathParameter("siteId")],
                responses: ok("Site")),
        ],
        "/api/tokens": [
            "get": operation("Named API tokens, by name (never a secret)", parameters: limitOffset, responses: list("NamedToken")),
            "post": operation(
                "Create a named token with a role; the secret is in this answer only. 409 when the name is taken",
                body: "TokenCreate", responses: ok("NamedToken", status: "201", description: "Created")),
        ],
        "/api/tokens/{name}": [
            "delete": operation(
                "Remove a named token: it stops at once and its event streams end; answers with it as it was",
                parameters: [pathParameter("name")], responses: ok("NamedToken"))
        ],
        "/api/token": ["get": operation("The token of this request: its name, role and expiry", responses: ok("Caller"))],
        "/api/audit": [
            "get": operation(
                "The audit log of writes and commands, newest first",
                parameters: limitOffset + [
                    query("token", string()), query("cpId", string()), query("since", string("date-time")),
                    query("until", string("date-time")),
                ], responses: list("AuditEntry"))
        ],
        "/api/webhooks": [
            "get": operation("Webhooks, by id (never a secret)", parameters: limitOffset, responses: list("Webhook")),
            "post": operation(
                "Create a webhook: matching events from now on are POSTed to its URL, signed with its secret",
                body: "WebhookCreate", responses: ok("Webhook", status: "201", description: "Created")),
        ],
        "/api/webhooks/{id}": [
            "get": operation("One webhook", parameters: [pathParameter("id", integer: true)], responses: ok("Webhook")),
            "delete": operation(
                "Remove a webhook; answers with it as it was", parameters: [pathParameter("id", integer: true)], responses: ok("Webhook")),
        ],
        "/api/webhooks/{id}/deliveries": [
            "get": operation(
                "The last attempts to deliver to the webhook, newest first", parameters: limitOffset + [pathParameter("id", integer: true)],
                responses: list("WebhookDelivery"))
        ],
        "/api/webhooks/{id}/test": [
            "post": operation(
                "Send the webhook a webhook.test event now, once; answers the attempt", parameters: [pathParameter("id", integer: true)],
                responses: ok("WebhookDelivery"))
        ],
        "/api/commands": [
            "get": operation(
                "The log of commands sent to stations, newest first", parameters: limitOffset + [query("cpId", string())],
                responses: list("CommandRecord"))
        ],
        "/api/cluster/nodes": [
            "get": operation(
                "The nodes of the cluster (an empty list on a single ocppd)", parameters: limitOffset, responses: list("ClusterNode"))
        ],
        "/api/events": [
            "get": operation(
                "Live events as Server-Sent Events (station.connected, station.disconnected, station.booted, connector.status, "
                    + "transaction.started, transaction.stopped, meter.values, command.result, data.transfer, security.event, diagnostics.status, "
                    + "log.status, "
                    + "firmware.status, file.uploaded, site.allocation, site.changed, audit.entry, token.revoked, webhook.disabled; lagged when dropped)",
                parameters: [
                    query("cpId", string()), query("heartbeats", boolean),
                    [
                        "name": "Last-Event-ID", "in": "header", "schema": string(),
                        "description": "The id of the last event received: the events after it are sent first (kept an hour at least)",
                    ],
                ],
                responses: ["200": ["description": "An event stream", "content": ["text/event-stream": ["schema": ["type": "string"]]]]])
        ],
    ]
}

extension JSONValue {
    /// An operation that needs no bearer token.
    fileprivate var withoutSecurity: JSONValue {
        guard case .object(var object) = self else { return self }
        object["security"] = []
        return .object(object)
    }
}

extension JSONObject {
    fileprivate func merging(_ other: JSONObject) -> JSONObject {
        var result = self
        for member in other.members { result[member.key] = member.value }
        return result
    }
}
