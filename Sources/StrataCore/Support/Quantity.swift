/// Sizes and durations as people write them on a command line or in a profile.
public enum Quantity {
    /// "500M", "10G", "1.5GiB", "2048" (bytes). K, M, G, T are powers of 1024, with or without "iB"/"B".
    public static func bytes(_ text: String) -> UInt64? {
        let trimmed = text.trimmingCharacters(in: " ")
        let digits = trimmed.prefix { $0.isNumber || $0 == "." }
        var unit = trimmed.dropFirst(digits.count).uppercased()
        for suffix in ["IB", "B"] where unit.hasSuffix(suffix) && unit.count > suffix.count - 1 {
            unit = String(unit.dropLast(suffix.count))
            break
        }
        let powers: [String: Double] = ["": 1, "K": 1024, "M": 1024 * 1024, "G": 1024 * 1024 * 1024, "T": 1024 * 1024 * 1024 * 1024]
        // Past 2^64 bytes a size is no size (and would not convert).
        guard let number = Double(digits), let factor = powers[unit], number >= 0, number * factor < 0x1p64 else { return nil }
        return UInt64(number * factor)
    }

    /// "90s", "30m", "12h", "7d", "2w"; a bare number is seconds.
    public static func seconds(_ text: String) -> Double? {
        let trimmed = text.trimmingCharacters(in: " ")
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604_800]
        // At most about 31,700 years: a duration every caller can turn into whole seconds.
        let limit = 1e12
        if let last = trimmed.last, let factor = units[last], let number = Double(trimmed.dropLast()), number >= 0 {
            return number * factor <= limit ? number * factor : nil
        }
        return Double(trimmed).flatMap { $0 >= 0 && $0 <= limit ? $0 : nil }
    }

    /// 1536 -> "1.5 KiB".
    public static func human(bytes: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var index = 0
        while value >= 1024 && index < units.count - 1 {
            value /= 1024
            index += 1
        }
        if index == 0 { return "\(bytes) B" }
        let rounded = (value * 10).rounded() / 10
        return "\(rounded) \(units[index])"
    }

    /// 93784 -> "1d 2h", 5400 -> "1h 30m", 45 -> "45s".
    public static func human(seconds: Double) -> String {
        let total = Int(seconds)
        let (days, hours, minutes) = (total / 86400, total % 86400 / 3600, total % 3600 / 60)
        if days > 0 { return "\(days)d \(hours)h" }
        if hours > 0 { return "\(hours)h \(minutes)m" }
        if minutes > 0 { return "\(minutes)m \(total % 60)s" }
        return "\(total)s"
    }
}

extension String {
    func trimmingCharacters(in set: Character) -> String {
        String(drop { $0 == set }.reversed().drop { $0 == set }.reversed())
    }
}
