import Logging
import Shared

/// What a handler knows about the station whose CALL it answers.
struct StationContext: Sendable {
    var id: String
    var connection: StationConnection
    var logger: Logger
}

/// Maps action names to typed handlers: `router.on(StartTransaction.self) { request, station in … }`.
/// Decoding validates the payload; a handler's thrown `OCPPError` becomes its CALLERROR.
struct OCPPRouter: Sendable {
    /// What a station is sent after the answer to its CALL: a CALL of the central system's that must not overtake
    /// that answer (CertificateSigned after SignCertificate's Accepted).
    typealias FollowUp = @Sendable () async -> Void
    typealias Handler = @Sendable (JSONValue, StationContext) async -> (Result<[UInt8], OCPPError>, FollowUp?)

    /// Answers a CALL on the connection's event loop, without a task: for what needs neither the store nor a wait.
    typealias ImmediateHandler = @Sendable (JSONValue, StationContext) -> Result<[UInt8], OCPPError>

    private var handlers: [String: Handler] = [:]
    private var immediateHandlers: [String: (applies: @Sendable () -> Bool, handler: ImmediateHandler)] = [:]

    mutating func on<A: OCPPAction>(
        _ action: A.Type,
        _ handler: @escaping @Sendable (A.Request, StationContext) async throws -> A.Response
    ) {
        onWithFollowUp(action) { request, station in (try await handler(request, station), nil) }
    }

    /// Like `on`, for a handler that may also have something to send once its answer is out.
    mutating func onWithFollowUp<A: OCPPAction>(
        _ action: A.Type,
        _ handler: @escaping @Sendable (A.Request, StationContext) async throws -> (A.Response, FollowUp?)
    ) {
        handlers[A.name] = { payload, station in
            let request: A.Request
            switch Self.request(A.self, from: payload) {
            case .success(let decoded): request = decoded
            case .failure(let error): return (.failure(error), nil)
            }
            do {
                let (response, followUp) = try await handler(request, station)
                return (.success(try response.encoded()), followUp)
            } catch let error as OCPPError {
                return (.failure(error), nil)
            } catch {
                station.logger.error("handler failed", metadata: ["action": "\(A.name)", "error": "\(error)"])
                return (.failure(OCPPError(.internalError, "the central system could not process \(A.name); send it again later")), nil)
            }
        }
    }

    /// A handler that answers at once whenever `applies` (checked for each CALL) says so; otherwise the action's
    /// handler from `on` answers it in the message's task.
    mutating func onImmediately<A: OCPPAction>(
        _ action: A.Type, when applies: @escaping @Sendable () -> Bool,
        _ handler: @escaping @Sendable (A.Request, StationContext) -> A.Response
    ) {
        immediateHandlers[A.name] = (
            applies,
            { payload, station in
                let request: A.Request
                switch Self.request(A.self, from: payload) {
                case .success(let decoded): request = decoded
                case .failure(let error): return .failure(error)
                }
                do {
                    return .success(try handler(request, station).encoded())
                } catch {
                    station.logger.error("answer not encoded", metadata: ["action": "\(A.name)", "error": "\(error)"])
                    return .failure(OCPPError(.internalError, "the central system could not answer \(A.name); send it again later"))
                }
            }
        )
    }

    /// Whether a CALL of `action` goes to a handler (else `dispatch` answers it with `unhandled(action)`).
    func handles(_ action: String) -> Bool {
        handlers[action] != nil || immediateHandlers[action] != nil
    }

    /// The immediate handler of `action`, if it has one that applies now.
    func immediateHandler(for action: String) -> ImmediateHandler? {
        guard let entry = immediateHandlers[action], entry.applies() else { return nil }
        return entry.handler
    }

    /// Answers one CALL: the payload bytes of its CALLRESULT, or the error for its CALLERROR; and what to send after it.
    func dispatch(action: String, payload: JSONValue, station: StationContext) async -> (Result<[UInt8], OCPPError>, FollowUp?) {
        if let handler = handlers[action] {
            return await handler(payload, station)
        }
        return (.failure(Self.unhandled(action)), nil)
    }

    /// A CALL's payload as `action`'s request (decoded and validated), or the CALLERROR that refuses it.
    static func request<A: OCPPAction>(_ action: A.Type, from payload: JSONValue) -> Result<A.Request, OCPPError> {
        do {
            return .success(try A.Request.decode(from: payload))
        } catch {
            return .failure(OCPPError(payloadError: error))
        }
    }

    /// The CALLERROR of a CALL whose action has no handler.
    static func unhandled(_ action: String) -> OCPPError {
        guard let known = OCPPActions.named(action) else { return OCPPError(.notImplemented, "unknown action '\(action)'") }
        if known.sender == .centralSystem {
            return OCPPError(.notSupported, "\(action) is sent by the central system, not by a charge point")
        }
        return OCPPError(.notSupported, "\(action) is not supported by this central system")
    }
}
