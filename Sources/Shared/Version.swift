/// Facts about the ocpp-gateway build that both programs report.
public enum OCPPGateway {
    public static let version = "0.1.0"
}
