#!/usr/bin/env python3
"""The build step alone (make bench-build; not in CI).

The same dpkg-buildpackage, interleaved round by round:
  strata       in strata's root: `strata build` with every layer reused (its
               timings' `build` phase)
  no-userns    the same with --no-userns (no idmapped layers)
  plain        in a plain directory copy of the same merged root (made once with
               `strata run`), entered with chroot in new mount, PID, IPC, UTS and
               network namespaces, as the same build user

Everything runs on a journaled ext4 file system made for the run (a loop-mounted
image in WORK, removed at the end), holding a copy of the e2e store and the
plain copies. A file system without a journal (this project's CI machines have
one) makes ext4 skip the inodes deleted in the last 30 seconds on every new
inode, so whichever build follows another's clean-up pays for it
(Docs/performance.md); on a journaled one it does not.

Prints the medians of the wall time and of the build's user and system CPU time
(the shell's `times` after dpkg-buildpackage), and each variant's wall time over
the plain copy's.

usage: build-step.py STRATA E2E_CACHE WORK ROUNDS PACKAGE[:DEB_BUILD_OPTIONS]...
"""
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import time

strata, cache, work = sys.argv[1], pathlib.Path(sys.argv[2]).resolve(), pathlib.Path(sys.argv[3]).resolve()
rounds = int(sys.argv[4])
specs = sys.argv[5:]
repository = pathlib.Path(__file__).resolve().parent.parent
image, top = work / "fs.img", work / "fs"
store, output = top / "store", top / "out"
environment = dict(os.environ, STRATA_STORE=str(store))


def run(command, **options):
    return subprocess.run(command, check=True, **options)


def cpu_times(text):
    """dash's `times`: the shell's user and system time, then its children's."""
    def seconds(value):
        minutes, rest = value.rstrip("s").split("m")
        return float(minutes) * 60 + float(rest)
    user, system = text.strip().splitlines()[1].split()
    return seconds(user) * 1000, seconds(system) * 1000


def profile():
    """The Debian example, its build command also writing its CPU times into the output."""
    text = (repository / "Examples/debian/bookworm.toml").read_text()
    line = "dpkg-buildpackage -us -uc -b\n"
    assert line in text
    path = work / "bookworm.toml"
    path.write_text(text.replace(line, line + "times > /build/out/times\n"))
    return path


def strata_build(profile_path, source, options, *global_options):
    shutil.rmtree(output, ignore_errors=True)
    result = run([strata, *global_options, "--json", "build", "--profile", str(profile_path), "--env",
                  f"DEB_BUILD_OPTIONS={options}", "--output", str(output), str(source)],
                 env=environment, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    report = json.loads(result.stdout)
    return report, (report["timings_ms"]["build"], *cpu_times((output / "times").read_text()))


def plain_copy(profile_path, source, plain):
    """The merged root of a reused build, copied once into a plain directory."""
    if (plain / "usr").is_dir():
        return
    shutil.rmtree(plain, ignore_errors=True)
    plain.mkdir(parents=True)
    run([strata, "run", "--profile", str(profile_path), "--bind", f"{plain}:/plain", str(source), "--", "sh", "-c",
         "cd / && tar --one-file-system --exclude=./plain --exclude=./proc --exclude=./sys -cf - . | tar -xpf - -C /plain"],
        env=environment)
    for directory in ["proc", "dev", "tmp"]:
        (plain / directory).mkdir(exist_ok=True)
    run(["cp", "-a", str(plain / "build"), str(plain / "build.pristine")])


def plain_build(plain, options):
    shutil.rmtree(plain / "build")
    run(["cp", "-a", str(plain / "build.pristine"), str(plain / "build")])
    started = time.monotonic()
    run(["unshare", "--mount", "--pid", "--fork", "--ipc", "--uts", "--net", "sh", "-c", f"""
        mount -t proc proc '{plain}/proc'; mount --rbind /dev '{plain}/dev'; mount -t tmpfs tmpfs '{plain}/tmp'
        chroot '{plain}' setpriv --reuid=build --regid=build --init-groups env -i \
            PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/build LANG=C.UTF-8 \
            DEBIAN_FRONTEND=noninteractive DEB_BUILD_OPTIONS='{options}' \
            sh -c 'cd /build/src && dpkg-buildpackage -us -uc -b > /dev/null 2>&1 && times > /build/times'"""])
    wall = (time.monotonic() - started) * 1000
    return (wall, *cpu_times((plain / "build/times").read_text()))


def measure():
    profile_path = profile()
    run(["cp", "-a", str(cache / "store"), str(store)])
    print("| package | build dependencies | variant | wall (ms) | user (ms) | system (ms) | wall ÷ plain |")
    print("| --- | ---: | --- | ---: | ---: | ---: | ---: |")
    for spec in specs:
        package, _, options = spec.partition(":")
        options = options or "parallel=2"
        source, plain = cache / "src" / package, top / f"plain-{package}"
        report, _ = strata_build(profile_path, source, options)
        dependencies = next(layer for layer in report["layers"] if layer["role"] == "deps")["dependencies"]
        plain_copy(profile_path, source, plain)
        times = {name: [] for name in ["strata", "no-userns", "plain"]}
        for round_number in range(rounds):
            times["strata"].append(strata_build(profile_path, source, options)[1])
            times["no-userns"].append(strata_build(profile_path, source, options, "--no-userns")[1])
            times["plain"].append(plain_build(plain, options))
            print(f"{package} round {round_number + 1}: " + ", ".join(
                f"{name} {values[-1][0]:.0f} ms (sys {values[-1][2]:.0f})" for name, values in times.items()), file=sys.stderr)
        medians = {name: [statistics.median(value[index] for value in values) for index in range(3)]
                   for name, values in times.items()}
        for name, (wall, user, system) in medians.items():
            print(f"| {package} ({options}) | {dependencies} | {name} | {wall:.0f} | {user:.0f} | {system:.0f} |"
                  f" {wall / medians['plain'][0]:.3f} |")


def main():
    if not (cache / "store" / "layers").is_dir():
        sys.exit(f"bench-build: no store in {cache}/store; run make e2e first")
    shutil.rmtree(work, ignore_errors=True)
    (work / "fs").mkdir(parents=True)
    run(["truncate", "-s", "16G", str(image)])
    run(["mkfs.ext4", "-q", "-F", str(image)])
    run(["mount", "-o", "loop", str(image), str(top)])
    try:
        measure()
    finally:
        subprocess.run(["umount", str(top)])
        image.unlink()


if __name__ == "__main__":
    main()
