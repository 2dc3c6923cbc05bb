import StrataOS

/// Named points where a test can stop strata to kill it there:
/// STRATA_TEST_PAUSE_AT=<point> and STRATA_TEST_PAUSE_FILE=<path>. On reaching
/// the point, strata writes its pid to the file and waits for a signal.
/// Nothing happens unless both variables are set.
public enum PausePoint: String, CaseIterable, Sendable {
    /// The resolver's overlay is mounted; the resolver has not run.
    case resolve
    /// The install command has finished; the temporary layer is not committed.
    case install
    /// The layer's manifest is written and synced; the rename has not happened.
    case rename
    /// The scratch root is ready; the build command has not started.
    case build
    /// The build command has finished and the artifacts are copied; nothing is unmounted yet.
    case teardown
    /// An image is extracted and digested; it has not been renamed into place.
    case `import`
    /// Shared layers (imported or pulled) are extracted and verified; none is renamed into place.
    case importLayer = "import-layer"

    func pauseIfRequested() {
        guard CurrentProcess.environment("STRATA_TEST_PAUSE_AT") == rawValue,
              let file = CurrentProcess.environment("STRATA_TEST_PAUSE_FILE") else { return }
        try? FileTree.writeFile(file, Array("\(CurrentProcess.id)\n".utf8))
        CurrentProcess.waitForSignals()
    }
}
