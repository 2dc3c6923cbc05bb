import CStrataSpawn
import Glibc

/// SIGINT, SIGTERM and SIGHUP: recorded, and the running child killed, so
/// that the waiting code returns, tears down, and exits 128 + signal.
public enum Termination {
    /// Installs the handlers; call once, early.
    public static func install() {
        strata_install_termination_handlers()
    }

    /// A server on pipes: SIGPIPE is ignored (writes fail with EPIPE instead).
    public static func installForServer() {
        strata_install_hangup_handlers()
    }

    /// While an interactive shell runs, ^C belongs to it: strata ignores SIGINT.
    public static func ignoreInterrupts() {
        strata_ignore_interrupt()
    }

    /// SIGINT, SIGTERM or SIGHUP, if one arrived.
    public static var signal: Int32? {
        let received = strata_termination_signal()
        return received == 0 ? nil : received
    }

    /// "SIGINT" or "SIGTERM" (or the number of another signal).
    public static func name(of signal: Int32) -> String {
        switch signal {
        case SIGINT: "SIGINT"
        case SIGTERM: "SIGTERM"
        case SIGHUP: "SIGHUP"
        default: "signal \(signal)"
        }
    }

    /// The child that a termination signal kills.
    static func setForegroundChild(_ pid: Int32) {
        strata_set_foreground_child(pid)
        // A signal that arrived before the child was registered still ends it.
        if pid > 0, signal != nil { _ = kill(pid, SIGKILL) }
    }
}
