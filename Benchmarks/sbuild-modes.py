#!/usr/bin/env python3
"""The same sbuild build in unshare mode and with strata's testbed (make bench-sbuild; not in CI).

For each package, in one run and interleaved round by round:
  unshare        sbuild --chroot-mode=unshare from an mmdebstrap buildd tarball
                 (the tarball unpacked, the build dependencies installed by apt,
                 every time)
  strata         sbuild --chroot-mode=autopkgtest --autopkgtest-virt-server=strata
                 with --source: the testbed stacks the package's deps layer, so
                 sbuild's apt finds the build dependencies installed
  strata-bare    the same without --source: the testbed is the update layer, and
                 sbuild installs the build dependencies itself, as in unshare mode

Every mode runs the same sbuild command line (sbuild's defaults: apt update and upgrade
in the root before the build) but for the chroot mode. Prints medians (ms) and ratios
as a Markdown table. Needs the store of `make e2e`
(its base and update layer) and the Debian mirror.

usage: sbuild-modes.py STRATA E2E_CACHE WORK [ROUNDS] [PACKAGE ...]
"""
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import time

strata = pathlib.Path(sys.argv[1]).resolve()
cache, work = pathlib.Path(sys.argv[2]).resolve(), pathlib.Path(sys.argv[3]).resolve()
rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 3
packages = sys.argv[5:] or ["tree", "hello"]
mirror = os.environ.get("DEBIAN_MIRROR", "http://deb.debian.org/debian")
repository = pathlib.Path(__file__).resolve().parent.parent
profile = repository / "Examples/debian/bookworm.toml"
store = cache / "store"
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from subordinate_ids import SubordinateIDs  # noqa: E402

SBUILD = ["sbuild", "--dist=bookworm", "--arch-any", "--arch-all", "--no-run-lintian", "--no-run-piuparts",
          "--no-run-autopkgtest", "--no-source-only-changes"]


def timed(command, **options):
    started = time.monotonic()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **options)
    return (time.monotonic() - started) * 1000


def main():
    if not (store / "layers").is_dir():
        sys.exit(f"sbuild-modes: no store at {store}; run make e2e first")
    work.mkdir(parents=True, exist_ok=True)
    bin_dir = work / "bin"
    bin_dir.mkdir(exist_ok=True)
    link = bin_dir / "autopkgtest-virt-strata"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(strata)
    config = work / "sbuild.conf"
    config.write_text(f'$path = "{bin_dir}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";\n1;\n')
    environment = dict(os.environ, STRATA_STORE=str(store), SBUILD_CONFIG=str(config), PATH=f"{bin_dir}:{os.environ['PATH']}")
    tarball = work / "bookworm-buildd.tar"
    if not tarball.exists():
        subprocess.run(["mmdebstrap", "--variant=buildd", "--quiet", "bookworm", str(tarball), mirror], check=True)

    rows = []
    for package in packages:
        dsc = next((cache / "src").glob(f"{package}_*.dsc"))
        source = cache / "src" / package
        # Warm: the package's deps layer exists before round 1 (a build makes it).
        subprocess.run([str(strata), "build", "--profile", str(profile), "--output", str(work / "out"), str(source)],
                       check=True, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times = {"unshare": [], "strata": [], "strata-bare": []}
        for round_number in range(rounds):
            for mode in times:
                directory = work / "sbuild" / mode
                shutil.rmtree(directory, ignore_errors=True)
                directory.mkdir(parents=True)
                if mode == "unshare":
                    command = SBUILD + ["--chroot-mode=unshare", f"--chroot={tarball}", str(dsc)]
                else:
                    options = f"--profile {profile}" + (f" --source {source}" if mode == "strata" else "")
                    command = SBUILD + ["--chroot-mode=autopkgtest", "--autopkgtest-virt-server=strata",
                                        f"--autopkgtest-virt-server-opts={options}", str(dsc)]
                times[mode].append(timed(command, cwd=directory, env=environment))
                if not list(directory.glob("*.deb")):
                    sys.exit(f"sbuild-modes: {mode} built no .deb for {package}")
            print(f"{package} round {round_number + 1}: " + ", ".join(f"{k} {v[-1]:.0f}" for k, v in times.items()),
                  file=sys.stderr)
        rows.append((package, {k: statistics.median(v) for k, v in times.items()}))
    shutil.rmtree(work / "sbuild", ignore_errors=True)

    print(f"Medians of {rounds} interleaved rounds, ms (`make bench-sbuild`, BENCH_ROUNDS={rounds}).\n")
    print("| package | sbuild unshare | sbuild + strata testbed (--source) | unshare ÷ strata | sbuild + strata testbed, bare | unshare ÷ bare |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for package, m in rows:
        print(f"| {package} | {m['unshare']:.0f} | {m['strata']:.0f} | {m['unshare'] / m['strata']:.1f}× |"
              f" {m['strata-bare']:.0f} | {m['unshare'] / m['strata-bare']:.1f}× |")


if __name__ == "__main__":
    with SubordinateIDs():
        main()
