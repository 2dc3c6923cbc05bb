#!/usr/bin/env python3
"""Real Debian packages, side by side (make bench-debian; not in CI).

For each package, in one run and interleaved round by round:
  sbuild       sbuild --chroot-mode=unshare from an mmdebstrap buildd tarball:
               Debian's buildd default, a fresh root and an apt install of the
               build dependencies for every build
  reused       strata build with every layer reused and [deps] inputs set (the
               resolution cached)
  first        strata build whose deps layer is missing (removed before each
               round) and whose resolution is not cached, incremental = false:
               the whole set installed
  whole        one build dependency added to debian/control, incremental = false:
               the new set installed from scratch
  incremental  the same change with incremental = true: the new layer stacked on
               the existing one, only the added package installed

Prints medians (ms) and ratios as a Markdown table; strata's own time is the
wall time minus the build command's.

usage: debian.py STRATA E2E_CACHE WORK [ROUNDS] [PACKAGE ...]
"""
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import time

from subordinate_ids import SubordinateIDs

strata, cache, work = sys.argv[1], pathlib.Path(sys.argv[2]).resolve(), pathlib.Path(sys.argv[3]).resolve()
rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 3
packages = sys.argv[5:] or ["tree", "gzip"]
mirror = os.environ.get("DEBIAN_MIRROR", "http://deb.debian.org/debian")
here = pathlib.Path(__file__).resolve().parent
repository = here.parent
# The build dependency the "one dependency changed" rows add: small, and in
# no package's set here.
added_dependency = os.environ.get("BENCH_ADDED_DEPENDENCY", "ed")

store = work / "store"
environment = dict(os.environ, STRATA_STORE=str(store))


def run(command, **options):
    return subprocess.run(command, check=True, env=options.pop("env", environment), **options)


def timed(command, **options):
    start = time.monotonic()
    result = subprocess.run(command, env=environment, stdout=subprocess.PIPE, **options)
    elapsed = (time.monotonic() - start) * 1000
    if result.returncode != 0:
        sys.exit(f"bench-debian: {' '.join(command)} failed with status {result.returncode}")
    return elapsed, result.stdout


def strata_build(profile, source, *extra):
    out = work / "out"
    shutil.rmtree(out, ignore_errors=True)
    elapsed, stdout = timed([strata, "--json", "build", "--profile", str(profile), "--output", str(out), *extra, str(source)],
                            stderr=subprocess.DEVNULL)
    report = json.loads(stdout)
    return elapsed, report


def deps_layer(report):
    return next(layer for layer in report["layers"] if layer["role"] == "deps")


def fetch_sources():
    """Each package's .dsc and unpacked tree, with apt state of our own (as e2e.sh does)."""
    state = cache / "apt"
    (state / "lists" / "partial").mkdir(parents=True, exist_ok=True)
    (state / "archives" / "partial").mkdir(parents=True, exist_ok=True)
    (state / "sources.list").write_text(f"deb-src {mirror} bookworm main\n")
    options = ["-o", f"Dir::Etc::SourceList={state}/sources.list", "-o", "Dir::Etc::SourceParts=/dev/null",
               "-o", f"Dir::State::Lists={state}/lists", "-o", f"Dir::Cache={state}", "-o", f"Dir::Cache::archives={state}/archives"]
    run(["apt-get", *options, "-q", "update"], stdout=subprocess.DEVNULL)
    sources = cache / "src"
    sources.mkdir(parents=True, exist_ok=True)
    found = {}
    for package in packages:
        if not (sources / package).is_dir():
            run(["apt-get", *options, "-q", "source", "--download-only", package], cwd=sources, stdout=subprocess.DEVNULL)
            dsc = sorted(sources.glob(f"{package}_*.dsc"))[0]
            run(["dpkg-source", "-x", str(dsc), str(sources / package)], stdout=subprocess.DEVNULL)
        found[package] = (sorted(sources.glob(f"{package}_*.dsc"))[0], sources / package)
    return found


def profiles():
    """The Debian example twice: incremental on, and off."""
    text = (repository / "Examples/debian/bookworm.toml").read_text()
    incremental = work / "incremental.toml"
    incremental.write_text(text)
    whole = work / "whole.toml"
    whole.write_text(text.replace("incremental = true", "incremental = false"))
    return incremental, whole


def with_added_dependency(source):
    """A copy of the source whose Build-Depends also names the added package."""
    copy = work / "changed" / source.name
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(source, copy, symlinks=True)
    control = copy / "debian/control"
    lines = control.read_text().split("\n")
    for index, line in enumerate(lines):
        if line.startswith("Build-Depends:"):
            lines[index] = line.rstrip().rstrip(",") + f", {added_dependency}"
            break
    control.write_text("\n".join(lines))
    return copy


def main():
    with SubordinateIDs():
        measure()


def measure():
    work.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(store, ignore_errors=True)
    found = fetch_sources()
    run([str(repository / "Examples/debian/make-base.sh"), str(cache / "debian"), strata], stdout=subprocess.DEVNULL)
    incremental, whole = profiles()
    run([strata, "update", str(incremental)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    tarball = work / "bookworm-buildd.tar"
    if not tarball.exists():
        run(["mmdebstrap", "--variant=buildd", "--quiet", "bookworm", str(tarball), mirror], env=os.environ)
    sbuild_dir = work / "sbuild"

    rows = []
    for package, (dsc, source) in found.items():
        changed = with_added_dependency(source)
        times = {name: [] for name in ["sbuild", "reused", "reused_own", "first", "whole", "whole_layer", "incremental", "incremental_layer"]}
        # Warm: the layer exists and the resolution is cached before round 1.
        _, report = strata_build(incremental, source)
        dependencies = deps_layer(report)["dependencies"]
        base_key = deps_layer(report)["key"]
        for round_number in range(rounds):
            shutil.rmtree(sbuild_dir, ignore_errors=True)
            sbuild_dir.mkdir(parents=True)
            elapsed, _ = timed(["sbuild", "--chroot-mode=unshare", f"--chroot={tarball}", "--dist=bookworm", "--arch-any",
                                "--arch-all", "--no-run-lintian", "--no-run-piuparts", "--no-run-autopkgtest",
                                "--no-source-only-changes", str(dsc)],
                               cwd=sbuild_dir, stderr=subprocess.DEVNULL)
            times["sbuild"].append(elapsed)

            elapsed, report = strata_build(incremental, source)
            assert deps_layer(report)["reused"] and report.get("resolution", {}).get("cached"), report
            times["reused"].append(elapsed)
            times["reused_own"].append(elapsed - report["timings_ms"]["build"])

            # The same set built whole: a deps layer that is missing, with
            # layers stacked on it removed first, and no cached resolution.
            run([strata, "layers", "rm", "--force", base_key], stdout=subprocess.DEVNULL)
            elapsed, report = strata_build(whole, source, "--no-resolve-cache")
            assert deps_layer(report)["origin"] == "built" and "stands_on" not in deps_layer(report), report
            times["first"].append(elapsed)

            for name, profile in [("whole", whole), ("incremental", incremental)]:
                elapsed, report = strata_build(profile, changed)
                layer = deps_layer(report)
                assert layer["origin"] == "built", report
                assert ("stands_on" in layer) == (name == "incremental"), report
                times[name].append(elapsed)
                times[name + "_layer"].append(report["timings_ms"]["layer"])
                run([strata, "layers", "rm", layer["key"]], stdout=subprocess.DEVNULL)
            print(f"{package} round {round_number + 1}: " + ", ".join(f"{k} {v[-1]:.0f}" for k, v in times.items()), file=sys.stderr)
        rows.append((package, dependencies, {k: statistics.median(v) for k, v in times.items()}))
    shutil.rmtree(sbuild_dir, ignore_errors=True)

    print(f"Medians of {rounds} interleaved rounds, ms (`make bench-debian`, BENCH_ROUNDS={rounds}).\n")
    print("| package | deps | sbuild | strata first | strata reused | sbuild ÷ reused | strata's own time, reused |"
          " whole set +1 | incremental +1 | layer: whole | layer: incremental | incremental ÷ whole (layer) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for package, dependencies, m in rows:
        print(f"| {package} | {dependencies} | {m['sbuild']:.0f} | {m['first']:.0f} | {m['reused']:.0f} |"
              f" {m['sbuild'] / m['reused']:.1f}× | {m['reused_own']:.0f} | {m['whole']:.0f} | {m['incremental']:.0f} |"
              f" {m['whole_layer']:.0f} | {m['incremental_layer']:.0f} | {m['incremental_layer'] / m['whole_layer']:.2f} |")


if __name__ == "__main__":
    main()
