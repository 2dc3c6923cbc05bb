// strata-bench: Strata against what a user would pick instead, measured in
// one run, as medians and ratios. `make bench` builds and runs it as root.
import Foundation
import StrataCore
import StrataOS

let options = BenchOptions.parse(Array(CommandLine.arguments.dropFirst()))
do {
    // First, while single-threaded: every mount the benchmark makes stays in
    // its own namespace, as strata's do.
    try MountNamespace.enterPrivate()
} catch {
    Measure.fatal("cannot enter a private mount namespace (run as root): \(error)")
}

let sizes = options.quick
    ? [RootSize(name: "10MB", bytes: 10_000_000, files: 500), RootSize(name: "50MB", bytes: 50_000_000, files: 2000),
       RootSize(name: "100MB", bytes: 100_000_000, files: 4000)]
    : [RootSize(name: "50MB", bytes: 50_000_000, files: 2000), RootSize(name: "500MB", bytes: 500_000_000, files: 20000),
       RootSize(name: "2GB", bytes: 2_000_000_000, files: 40000)]
let fixtures = Fixtures(options: options)
try? FileManager.default.createDirectory(atPath: options.work, withIntermediateDirectories: true)
fixtures.prepareBase()
var report = Report()
report.machine()

/// 6: digests: an input mount on a reused build, and layers verify.
func measureDigests(into report: inout Report) {
    log("digests: an input mount of \(DigestBenchmark.toolFiles) files, layers verify")
    let processBench = ProcessBenchmark(options: options, fixtures: fixtures)
    processBench.prepare()
    let digests = DigestBenchmark(options: options, process: processBench)
    digests.prepare()
    let rounds = options.quick ? 10 : 30
    let builds = digests.reusedBuilds(rounds: rounds)
    report.inputMount(files: DigestBenchmark.toolFiles, bytes: digests.bytes(digests.tools), plain: builds.plain,
                      withTools: builds.withTools, sha256sum: digests.sha256sum(digests.tools, rounds: rounds))
    if let store = options.debianStore, let verify = digests.verify(store: store, rounds: options.quick ? 3 : 5) {
        report.verify(key: verify.key, bytes: verify.bytes, verify: verify.verify, sha256sum: verify.sha256sum)
    } else {
        log("no Debian store (--debian-store, from make e2e): layers verify not measured")
    }
}

if options.only == "digests" {
    measureDigests(into: &report)
    report.print(to: options.work + "/results-digests.md")
    exit(0)
}
if options.only == "rootless" {
    let processBench = ProcessBenchmark(options: options, fixtures: fixtures)
    processBench.prepare()
    report.rootless(RootlessBenchmark(options: options, process: processBench).run(rounds: options.quick ? 10 : 30))
    report.print(to: options.work + "/results-rootless.md")
    exit(0)
}
sizes.forEach(fixtures.prepare)

// 1 and 2: a ready root, set up and torn down, against its alternatives.
for size in sizes {
    let rounds = options.quick ? 10 : 30
    let slowRounds = size.bytes >= 1_000_000_000 ? 3 : (options.quick ? 3 : 5)
    log("ready root, \(size.name)")
    let strata = ReadyRootBenchmark(fixtures: fixtures, size: size).median(rounds: rounds)
    let floorMicroseconds = Measure.run(options.floor, [String(rounds), fixtures.deps(size), fixtures.base, options.work + "/floor-scratch"])
    let floor = (Double(floorMicroseconds.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) / 1000
    let copy = Measure.median(slowRounds) {
        Measure.spawnAndWait("/bin/sh", ["-c", "cp -a '\(fixtures.flat(size))' '\(options.work)/copy' && rm -rf '\(options.work)/copy'"])
    }
    let untar = Measure.median(slowRounds) {
        Measure.spawnAndWait("/bin/sh", ["-c", "mkdir '\(options.work)/untar' && tar -xf '\(fixtures.tarball(size))' -C '\(options.work)/untar' && rm -rf '\(options.work)/untar'"])
    }
    report.readyRoot(size: size, strata: strata, floor: floor, copy: copy, untar: untar)
}

// 3: the whole strata process for a build whose layers are all reused.
log("whole-process overhead of a reused build")
let processBench = ProcessBenchmark(options: options, fixtures: fixtures)
processBench.prepare()
report.wholeProcess(build: processBench.reusedBuild(rounds: options.quick ? 10 : 30),
                    start: processBench.processStart(rounds: options.quick ? 10 : 30),
                    setupAndTeardown: processBench.reportedSetupAndTeardown())

// 4: creating a layer through strata against the same install in a chroot.
log("rootless against root: a reused build, and its ready root")
let rootless = RootlessBenchmark(options: options, process: processBench).run(rounds: options.quick ? 10 : 30)
report.rootless(rootless)

log("layer creation")
let payload = sizes[1]
let layerBench = LayerCreationBenchmark(options: options, fixtures: fixtures, payload: payload, store: processBench.store)
report.layerCreation(payload: payload, strata: layerBench.throughStrata(rounds: 3), chroot: layerBench.inChroot(rounds: 3))

// 5: N concurrent builds sharing one layer.
for count in [1, 2, 4, 8] {
    log("\(count) concurrent build(s)")
    let result = processBench.concurrent(count)
    report.concurrent(count: count, wall: result.wall, diskPerBuild: result.diskPerBuild, written: result.written)
}

measureDigests(into: &report)
report.print(to: options.work + "/results.md")
