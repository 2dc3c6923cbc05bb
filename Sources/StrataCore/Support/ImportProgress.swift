
/// How far an import has come, for a progress line.
public struct ImportProgress: Sendable {
    public var entries: Int
    public var bytes: UInt64
    public var seconds: Double
    /// True for the last report of an import.
    public var done: Bool

    public var bytesPerSecond: Double { seconds > 0 ? Double(bytes) / seconds : 0 }

    /// Reports at most twice a second, and only once an import has taken a
    /// second: short imports stay silent.
    struct Meter {
        let report: ((ImportProgress) -> Void)?
        private let start = Stopwatch()
        private var lastReport = 0
        private var reported = false

        init(report: ((ImportProgress) -> Void)?) { self.report = report }

        mutating func update(entries: Int, bytes: UInt64) {
            guard let report else { return }
            let now = start.elapsedMilliseconds
            if now >= 1000 && now - lastReport >= 500 {
                lastReport = now
                reported = true
                report(ImportProgress(entries: entries, bytes: bytes, seconds: Double(now) / 1000, done: false))
            }
        }

        func finish(entries: Int, bytes: UInt64) {
            guard let report, reported else { return }
            report(ImportProgress(entries: entries, bytes: bytes, seconds: Double(start.elapsedMilliseconds) / 1000, done: true))
        }
    }
}
