/// Milliseconds on the monotonic clock, for a report's timings.
struct Stopwatch {
    private let start = ContinuousClock.now

    var elapsedMilliseconds: Int {
        let elapsed = (ContinuousClock.now - start).components
        return Int(elapsed.seconds) * 1000 + Int(elapsed.attoseconds / 1_000_000_000_000_000)
    }
}
