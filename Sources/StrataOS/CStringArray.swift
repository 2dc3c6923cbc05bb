import Glibc

/// NUL-terminated C strings, and a NULL-terminated array of them, for the
/// duration of a call.
final class CStringArray {
    let base: UnsafeMutablePointer<UnsafePointer<CChar>?>
    private let count: Int

    init(_ strings: [String]) {
        count = strings.count
        base = .allocate(capacity: strings.count + 1)
        for (index, string) in strings.enumerated() {
            base[index] = UnsafePointer(strdup(string))
        }
        base[strings.count] = nil
    }

    deinit {
        for index in 0..<count { free(UnsafeMutableRawPointer(mutating: base[index])) }
        base.deallocate()
    }

    func pointer(_ index: Int) -> UnsafePointer<CChar>? { base[index] }
}
