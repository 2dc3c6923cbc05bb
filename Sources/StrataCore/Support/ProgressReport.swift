import StrataOS

/// How far a long operation has come (an import, an export, a push, a pull,
/// a verify), for a progress line on a terminal.
public struct ProgressReport: Sendable {
    /// What is being done: "exporting layer 1fe83d37c154", "verifying layer 3/12".
    public var activity: String
    public var entries: Int
    public var bytes: UInt64
    public var seconds: Double
    /// True for the last report of an activity.
    public var done: Bool

    public var bytesPerSecond: Double { seconds > 0 ? Double(bytes) / seconds : 0 }

    /// Reports at most twice a second, and only once an activity has taken a
    /// second: short ones stay silent. (STRATA_TEST_PROGRESS=every, a test
    /// hook, reports every update at once.)
    struct Meter {
        let activity: String
        let report: ProgressSink?
        private let start = Stopwatch()
        private var lastReport = 0
        private var reported = false
        private var last: (entries: Int, bytes: UInt64) = (0, 0)
        private let immediate = CurrentProcess.environment("STRATA_TEST_PROGRESS") == "every"

        init(_ activity: String, report: ProgressSink?) {
            self.activity = activity
            self.report = report
        }

        mutating func update(entries: Int, bytes: UInt64) {
            guard let report else { return }
            last = (entries, bytes)
            let now = start.elapsedMilliseconds
            if immediate || (now >= 1000 && now - lastReport >= 500) {
                lastReport = now
                reported = true
                report(ProgressReport(activity: activity, entries: entries, bytes: bytes, seconds: Double(now) / 1000, done: false))
            }
        }

        /// The last report, with the counts of the last update.
        func finish() {
            finish(entries: last.entries, bytes: last.bytes)
        }

        func finish(entries: Int, bytes: UInt64) {
            guard let report, reported else { return }
            report(ProgressReport(activity: activity, entries: entries, bytes: bytes, seconds: Double(start.elapsedMilliseconds) / 1000, done: true))
        }
    }

    /// A step with no count of its own ("uploading layer …, 113.7 MiB").
    static func step(_ activity: String, bytes: UInt64 = 0, done: Bool = false, to report: ProgressSink?) {
        report?(ProgressReport(activity: activity, entries: 0, bytes: bytes, seconds: 0, done: done))
    }
}

/// Where a long operation reports its progress; nil: nowhere.
public typealias ProgressSink = (ProgressReport) -> Void
