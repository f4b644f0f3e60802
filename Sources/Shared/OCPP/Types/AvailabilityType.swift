/// Whether a connector or charge point may be used for charging.
public enum AvailabilityType: String, OCPPEnum {
    case inoperative = "Inoperative"
    case operative = "Operative"
}
