/// The aslsh release, recorded in checkpoints, exports and saved sessions.
public enum ASLSHVersion {
    public static let string = "0.1.0"
}
