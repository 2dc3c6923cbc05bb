import Foundation

/// Where the benchmark works and what it runs.
struct BenchOptions {
    /// Fixtures, stores and scratch space (several GB at full scale).
    var work = "/var/tmp/strata-bench"
    /// The strata binary under test (a release build).
    var strata = ""
    /// The C floor program (Benchmarks/mount-floor.c, compiled).
    var floor = ""
    /// The repository, for Examples/demo/make-base.sh.
    var repository = ""
    /// Smaller roots and fewer rounds, for a quick look.
    var quick = false
    /// A store with the Debian update layer (`make e2e`'s), for `layers verify`.
    var debianStore: String?
    /// Run only this part ("digests"), for a quick look at one figure.
    var only: String?

    static func parse(_ arguments: [String]) -> BenchOptions {
        var options = BenchOptions()
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            switch argument {
            case "--work": options.work = rest.popFirst() ?? options.work
            case "--strata": options.strata = rest.popFirst() ?? ""
            case "--floor": options.floor = rest.popFirst() ?? ""
            case "--repository": options.repository = rest.popFirst() ?? ""
            case "--quick": options.quick = true
            case "--debian-store": options.debianStore = rest.popFirst()
            case "--only": options.only = rest.popFirst()
            default:
                FileHandle.standardError.write(Data("strata-bench: unknown argument \(argument)\nusage: strata-bench --strata BIN --floor BIN --repository DIR [--work DIR] [--quick] [--debian-store DIR] [--only digests|rootless]\n".utf8))
                exit(2)
            }
        }
        if options.strata.isEmpty || options.floor.isEmpty || options.repository.isEmpty {
            FileHandle.standardError.write(Data("usage: strata-bench --strata BIN --floor BIN --repository DIR [--work DIR] [--quick]\n".utf8))
            exit(2)
        }
        return options
    }
}
