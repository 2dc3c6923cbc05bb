import Glibc

/// Milliseconds on the monotonic clock.
struct Stopwatch {
    private let start = Stopwatch.now()

    var elapsedMilliseconds: Int { Int((Stopwatch.now() - start) / 1_000_000) }

    static func now() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }
}
