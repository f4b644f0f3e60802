import Foundation
import Logging
import Shared

/// How a CALL to a station ended, when it did not end with a CALLRESULT.
enum CallFailure: Error, Equatable {
    /// The station answered CALLERROR.
    case callError(code: String, description: String, details: JSONValue)
    case timeout
    /// Too many commands wait for this station already.
    case queueFull
    /// The connection closed before the answer came.
    case connectionClosed
}

/// The CALL the central system waits on.
struct OutstandingCall {
    let messageId: String
    let action: String
    let continuation: CheckedContinuation<JSONValue, any Error>
    let timer: Task<Void, Never>
}

extension StationConnection {
    /// Sends a CALL and waits for its CALLRESULT payload. Calls to one station go out one at a time,
    /// in the order they were made; a full queue fails at once with `.queueFull`.
    func call(action: String, payload: JSONValue, timeout: Duration) async throws -> JSONValue {
        if callInProgress {
            guard waitingCalls.count < maxQueuedCalls else {
                LimitRefusals.queuedCommands.record("command refused: too many wait for the station", ["station": "\(id)"])
                throw CallFailure.queueFull
            }
            await withCheckedContinuation { waitingCalls.append($0) }
        } else {
            callInProgress = true
        }
        defer { passTurn() }
        guard !closing else { throw CallFailure.connectionClosed }
        nextMessageNumber += 1
        let messageId = "cs-\(nextMessageNumber)"
        send(.call(id: messageId, action: action, payload: payload))
        return try await withCheckedThrowingContinuation { continuation in
            let timer = Task { [weak self] in
                try? await Task.sleep(for: timeout)
                await self?.expire(messageId)
            }
            outstanding = OutstandingCall(messageId: messageId, action: action, continuation: continuation, timer: timer)
        }
    }

    /// Typed form: `try await connection.call(Reset.Request(type: .soft), timeout: .seconds(30))`.
    func call<R: OCPPRequest>(_ request: R, timeout: Duration) async throws -> R.Action.Response {
        let result = try await call(action: R.Action.name, payload: JSONCoding.jsonValue(request), timeout: timeout)
        return try R.Action.Response.decode(from: result)
    }

    /// Hands the answer of the station to the CALL waiting for it; returns false for a reply to no
    /// outstanding CALL (a late one after a timeout), which the caller logs and drops.
    func resolve(messageId: String, with outcome: Result<JSONValue, CallFailure>) -> Bool {
        guard let call = outstanding, call.messageId == messageId else { return false }
        outstanding = nil
        call.timer.cancel()
        call.continuation.resume(with: outcome.mapError { $0 as any Error })
        return true
    }

    private func expire(_ messageId: String) {
        guard let call = outstanding, call.messageId == messageId else { return }
        outstanding = nil
        call.continuation.resume(throwing: CallFailure.timeout)
    }

    private func passTurn() {
        if waitingCalls.isEmpty {
            callInProgress = false
        } else {
            waitingCalls.removeFirst().resume()
        }
    }

    /// The WebSocket is gone: no CALL can be answered any more.
    func connectionEnded() {
        markClosing()
        failCalls()
    }

    /// Fails the outstanding CALL and lets every waiting one see the closed connection.
    func failCalls() {
        if let call = outstanding {
            outstanding = nil
            call.timer.cancel()
            call.continuation.resume(throwing: CallFailure.connectionClosed)
        }
    }
}
