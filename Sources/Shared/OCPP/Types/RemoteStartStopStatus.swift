/// A charge point's answer to RemoteStartTransaction and RemoteStopTransaction.
public enum RemoteStartStopStatus: String, OCPPEnum {
    case accepted = "Accepted"
    case rejected = "Rejected"
}
