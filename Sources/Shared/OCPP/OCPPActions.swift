/// The catalogue of OCPP 1.6 actions (and of the security white paper's), for the code that meets an action by its name at run time.
public enum OCPPActions {
    /// Every action once; DataTransfer, which goes both ways, is one action.
    public static let all: [any OCPPAction.Type] = [
        // Core
        Authorize.self, BootNotification.self, ChangeAvailability.self, ChangeConfiguration.self, ClearCache.self,
        DataTransfer.self, GetConfiguration.self, Heartbeat.self, MeterValues.self, RemoteStartTransaction.self,
        RemoteStopTransaction.self, Reset.self, StartTransaction.self, StatusNotification.self, StopTransaction.self,
        UnlockConnector.self,
        // FirmwareManagement
        DiagnosticsStatusNotification.self, FirmwareStatusNotification.self, GetDiagnostics.self, UpdateFirmware.self,
        // LocalAuthListManagement
        GetLocalListVersion.self, SendLocalList.self,
        // Reservation
        CancelReservation.self, ReserveNow.self,
        // SmartCharging
        ClearChargingProfile.self, GetCompositeSchedule.self, SetChargingProfile.self,
        // RemoteTrigger
        TriggerMessage.self,
        // Security (the white paper "Improved security for OCPP 1.6-J")
        CertificateSigned.self, DeleteCertificate.self, ExtendedTriggerMessage.self, GetInstalledCertificateIds.self, GetLog.self,
        InstallCertificate.self, LogStatusNotification.self, SecurityEventNotification.self, SignCertificate.self,
        SignedFirmwareStatusNotification.self, SignedUpdateFirmware.self,
    ]

    private static let byName: [String: any OCPPAction.Type] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

    /// The action a CALL names; nil for a name OCPP 1.6 does not define. Names are case-sensitive, as in the specification.
    public static func named(_ name: String) -> (any OCPPAction.Type)? {
        byName[name]
    }

    /// The REST command names (`POST /api/admin/{cpId}/{command}`) of the actions a central system sends.
    public static let commands: [String: any OCPPAction.Type] = [
        "start-transaction": RemoteStartTransaction.self,
        "stop-transaction": RemoteStopTransaction.self,
        "change-availability": ChangeAvailability.self,
        "reset": Reset.self,
        "unlock-connector": UnlockConnector.self,
        "get-configuration": GetConfiguration.self,
        "change-configuration": ChangeConfiguration.self,
        "reserve-now": ReserveNow.self,
        "cancel-reservation": CancelReservation.self,
        "clear-cache": ClearCache.self,
        "trigger-message": TriggerMessage.self,
        "data-transfer": DataTransfer.self,
        "get-diagnostics": GetDiagnostics.self,
        "update-firmware": UpdateFirmware.self,
        "get-local-list-version": GetLocalListVersion.self,
        "send-local-list": SendLocalList.self,
        "set-charging-profile": SetChargingProfile.self,
        "clear-charging-profile": ClearChargingProfile.self,
        "get-composite-schedule": GetCompositeSchedule.self,
        "certificate-signed": CertificateSigned.self,
        "delete-certificate": DeleteCertificate.self,
        "extended-trigger-message": ExtendedTriggerMessage.self,
        "get-installed-certificate-ids": GetInstalledCertificateIds.self,
        "get-log": GetLog.self,
        "install-certificate": InstallCertificate.self,
        "signed-update-firmware": SignedUpdateFirmware.self,
    ]
}
