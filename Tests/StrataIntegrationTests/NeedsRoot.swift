import Glibc
import Testing

extension Trait where Self == ConditionTrait {
    /// Every suite here runs the `strata` binary, which mounts: without root
    /// the suite is skipped (and reported as skipped), never failed. CI runs
    /// as root, so there they all run.
    static var needsRoot: Self {
        .enabled(if: geteuid() == 0, "needs root: strata mounts overlay file systems and creates namespaces; run 'make test' as root")
    }
}
