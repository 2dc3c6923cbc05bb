import Glibc
import Testing

extension Trait where Self == ConditionTrait {
    /// For suites that do what only root may (read a mode-000 directory,
    /// give files to root), as strata itself does: skipped, with the reason,
    /// when not root; CI runs as root.
    static var needsRoot: Self {
        .enabled(if: geteuid() == 0, "needs root: reads mode-000 directories and changes owners, as strata does as root; run 'make test' as root")
    }
}
