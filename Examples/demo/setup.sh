#!/bin/sh
# Lays out the demo in WORKDIR: a base root file system (rootfs/), a copy of
# the package repository (repo/), the two source packages (src/) and a
# profile (demo.toml) that points at that repository.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=${1:?usage: setup.sh WORKDIR}
mkdir -p "$work"
work=$(cd "$work" && pwd)
rm -rf "$work/rootfs" "$work/repo" "$work/src"
"$here/make-base.sh" "$work/rootfs"
cp -R "$here/repo" "$work/repo"
cp -R "$here/src" "$work/src"
sed "s|@REPO@|$work/repo|" "$here/demo.toml.in" > "$work/demo.toml"
