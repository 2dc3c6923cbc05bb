import Foundation
import StrataCore
import StrataOS

/// A progress line on standard error, redrawn in place, for people at a
/// terminal: only when standard output and standard error are both
/// terminals and --json is not given; otherwise silent.
final class ProgressLine {
    private let enabled: Bool
    private var open = false

    init(json: Bool) {
        enabled = !json && CurrentProcess.outputIsTerminal
    }

    /// Where an operation reports to: nil when the line is silent.
    var sink: ProgressSink? {
        enabled ? { [self] report in show(report) } : nil
    }

    func show(_ report: ProgressReport) {
        var text = report.activity
        if report.entries > 0 || report.seconds > 0 {
            let rate = Quantity.human(bytes: UInt64(report.bytesPerSecond))
            text += ": \(report.entries) entries, \(Quantity.human(bytes: report.bytes)) in \(String(format: "%.1f", report.seconds)) s (\(rate)/s)"
        } else if report.bytes > 0 {
            text += ", \(Quantity.human(bytes: report.bytes))"
        }
        write("\r\u{1B}[K" + text + (report.done ? "\n" : ""))
        open = !report.done
    }

    /// Ends an open line, so that what follows starts on a line of its own.
    func end() {
        if open { write("\r\u{1B}[K") }
        open = false
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
