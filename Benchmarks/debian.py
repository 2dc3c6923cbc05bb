#!/usr/bin/env python3
"""Real Debian packages, side by side (make bench-debian; not in CI).

For each package, in one run and interleaved round by round:
  sbuild       sbuild --chroot-mode=unshare from an mmdebstrap buildd tarball:
               Debian's buildd default, a fresh root and an apt install of the
               build dependencies for every build
  pbuilder     pbuilder --build from its base.tgz (unpacked for every build, the
               build dependencies installed from its own apt cache)
  cowbuilder   cowbuilder --build: a hardlinked copy of its base directory for
               every build, the build dependencies installed into it
  reused       strata build with every layer reused and [deps] inputs set (the
               resolution cached)
  first        strata build whose deps layer is missing (removed before each
               round) and whose resolution is not cached, incremental = false:
               the whole set installed
  whole        one build dependency added to debian/control, incremental = false:
               the new set installed from scratch
  incremental  the same change with incremental = true: the new layer stacked on
               the existing one, only the added package installed

Prints medians (ms) and ratios as Markdown tables. Every tool's time is split
into its build step (dpkg-buildpackage, from just after the build dependencies
are installed to just after it ends: sbuild's --starting-build-commands and
--finished-build-commands, pbuilder's A and B hooks, strata's `build` timing)
and its overhead (the wall time minus the build step). DEB_BUILD_OPTIONS is
parallel=2 everywhere (the Debian example's [build.env]).

usage: debian.py STRATA E2E_CACHE WORK [ROUNDS] [PACKAGE ...]
"""
import json
import os
import pathlib
import re
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
environment = dict(os.environ, STRATA_STORE=str(store), DEB_BUILD_OPTIONS="parallel=2")
# Printed by the other tools' hooks around dpkg-buildpackage: the build step.
marker = re.compile(r"strata-bench-(start|end) (\d+)")


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


def build_step(text):
    """The build step (ms) between the markers the hooks printed into `text`."""
    found = dict(marker.findall(text))
    if set(found) != {"start", "end"}:
        sys.exit("bench-debian: the build step's start and end markers are missing from the build's log")
    return (int(found["end"]) - int(found["start"])) / 1e6


def sbuild(tarball, dsc, directory):
    """sbuild in unshare mode; the markers come from commands run as root in the chroot."""
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    elapsed, _ = timed(["sbuild", "--chroot-mode=unshare", f"--chroot={tarball}", "--dist=bookworm", "--arch-any",
                        "--arch-all", "--no-run-lintian", "--no-run-piuparts", "--no-run-autopkgtest",
                        "--no-source-only-changes", "--log-external-command-output",
                        "--starting-build-commands=sh -c 'echo strata-bench-start $(date +%%s%%N)'",
                        "--finished-build-commands=sh -c 'echo strata-bench-end $(date +%%s%%N)'", str(dsc)],
                       cwd=directory, stderr=subprocess.DEVNULL)
    log = "".join(path.read_text(errors="replace") for path in directory.glob("*.build") if not path.is_symlink())
    return elapsed, build_step(log)


def pbuilder_hooks():
    """pbuilder's (and cowbuilder's) A hook runs once the build dependencies are
    installed, just before dpkg-buildpackage; its B hook after a build that succeeded."""
    hooks = work / "pbuilder-hooks"
    hooks.mkdir(parents=True, exist_ok=True)
    for name, which in [("A90strata-bench", "start"), ("B10strata-bench", "end")]:
        hook = hooks / name
        hook.write_text(f"#!/bin/sh\necho strata-bench-{which} $(date +%s%N)\n")
        hook.chmod(0o755)
    return hooks


def pbuilder_options(tool, place):
    """The options both pbuilder and cowbuilder take, everything kept below `place`."""
    return ["--distribution", "bookworm", "--mirror", mirror, "--buildplace", str(place / "build"),
            "--aptcache", str(place / "aptcache"), "--buildresult", str(place / "result")] + \
        (["--basepath", str(place / "base.cow")] if tool == "cowbuilder" else ["--basetgz", str(place / "base.tgz")])


def pbuilder_prepare(tool):
    """The base the tool makes with its own --create (debootstrap), once."""
    place = work / tool
    base = place / ("base.cow" if tool == "cowbuilder" else "base.tgz")
    if not base.exists():
        for directory in ["build", "aptcache", "result"]:
            (place / directory).mkdir(parents=True, exist_ok=True)
        run([tool, "--create", *pbuilder_options(tool, place)], env=os.environ, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return place


def pbuilder(tool, place, hooks, dsc):
    shutil.rmtree(place / "result", ignore_errors=True)
    (place / "result").mkdir()
    elapsed, stdout = timed([tool, "--build", *pbuilder_options(tool, place), "--hookdir", str(hooks),
                             "--debbuildopts", "-b", str(dsc)], stderr=subprocess.STDOUT)
    return elapsed, build_step(stdout.decode(errors="replace"))


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
    places = {tool: pbuilder_prepare(tool) for tool in ["pbuilder", "cowbuilder"]}
    hooks = pbuilder_hooks()
    others = ["sbuild", "pbuilder", "cowbuilder"]

    rows = []
    for package, (dsc, source) in found.items():
        changed = with_added_dependency(source)
        times = {name: [] for name in ["sbuild", "sbuild_build", "pbuilder", "pbuilder_build", "cowbuilder", "cowbuilder_build",
                                       "reused", "reused_build", "first", "whole", "whole_layer", "incremental", "incremental_layer"]}
        # Warm: the layer exists, its view too (made by the first build that
        # reuses it), and the resolution is cached before round 1.
        strata_build(incremental, source)
        _, report = strata_build(incremental, source)
        dependencies = deps_layer(report)["dependencies"]
        base_key = deps_layer(report)["key"]
        for round_number in range(rounds):
            for tool in others:
                elapsed, step = sbuild(tarball, dsc, sbuild_dir) if tool == "sbuild" else pbuilder(tool, places[tool], hooks, dsc)
                times[tool].append(elapsed)
                times[tool + "_build"].append(step)

            elapsed, report = strata_build(incremental, source)
            assert deps_layer(report)["reused"] and report.get("resolution", {}).get("cached"), report
            times["reused"].append(elapsed)
            times["reused_build"].append(report["timings_ms"]["build"])

            # The same set built whole: a deps layer that is missing, with
            # layers stacked on it removed first, and no cached resolution.
            run([strata, "layers", "rm", "--force", base_key], stdout=subprocess.DEVNULL)
            elapsed, report = strata_build(whole, source, "--no-resolve-cache")
            assert deps_layer(report)["origin"] == "built" and "stands_on" not in deps_layer(report), report
            times["first"].append(elapsed)
            # Untimed: the first build that reuses a layer makes its view; the
            # next round's reused build measures a rebuild, not that.
            strata_build(incremental, source)

            for name, profile in [("whole", whole), ("incremental", incremental)]:
                elapsed, report = strata_build(profile, changed)
                layer = deps_layer(report)
                assert layer["origin"] == "built", report
                assert ("stands_on" in layer) == (name == "incremental"), report
                times[name].append(elapsed)
                times[name + "_layer"].append(report["timings_ms"]["layer"])
                run([strata, "layers", "rm", layer["key"]], stdout=subprocess.DEVNULL)
            print(f"{package} round {round_number + 1}: " + ", ".join(f"{k} {v[-1]:.0f}" for k, v in times.items()), file=sys.stderr)
        medians = {k: statistics.median(v) for k, v in times.items()}
        # Each tool's overhead: the median of its rounds' wall time minus build step.
        for tool, step in [("reused", "reused_build"), *[(tool, tool + "_build") for tool in others]]:
            medians[tool + "_overhead"] = statistics.median(wall - build for wall, build in zip(times[tool], times[step]))
        rows.append((package, dependencies, medians))
    shutil.rmtree(sbuild_dir, ignore_errors=True)

    print(f"Medians of {rounds} interleaved rounds, ms (`make bench-debian`, BENCH_ROUNDS={rounds}).\n")
    print("A rebuild: wall time, build step (dpkg-buildpackage) and overhead (each round's wall time minus its build step),"
          " medians of each; ratios are the tool's wall time over strata's reused rebuild.\n")
    print("| package | deps | tool | wall | build step | overhead | wall ÷ strata's |")
    print("| --- | ---: | --- | ---: | ---: | ---: | ---: |")
    for package, dependencies, m in rows:
        for name, tool in [("strata, every layer reused", "reused"), *[(tool, tool) for tool in others]]:
            print(f"| {package} | {dependencies} | {name} | {m[tool]:.0f} | {m[tool + '_build']:.0f} | {m[tool + '_overhead']:.0f} |"
                  f" {m[tool] / m['reused']:.2f}× |")
    print("\nstrata's layers when the set changes:\n")
    print("| package | deps | strata first | whole set +1 | incremental +1 | layer: whole | layer: incremental | incremental ÷ whole (layer) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for package, dependencies, m in rows:
        print(f"| {package} | {dependencies} | {m['first']:.0f} | {m['whole']:.0f} | {m['incremental']:.0f} |"
              f" {m['whole_layer']:.0f} | {m['incremental_layer']:.0f} | {m['incremental_layer'] / m['whole_layer']:.2f} |")


if __name__ == "__main__":
    main()
