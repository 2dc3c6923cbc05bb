#!/bin/sh
# The demo: builds a package twice and a second package with the same
# dependency set (the dependency layer is created once, then reused), then
# publishes a new version of one dependency and builds again (a new layer;
# the old one stays). Usage: run-demo.sh STRATA WORKDIR
set -eu
here=$(cd "$(dirname "$0")" && pwd)
strata=${1:?usage: run-demo.sh STRATA WORKDIR}
work=${2:?usage: run-demo.sh STRATA WORKDIR}
export STRATA_STORE="$work/store"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "Setting up $work: busybox base, package repository, two source packages"
rm -rf "$work/store" "$work/out"
"$here/setup.sh" "$work"
cd "$work"
"$strata" image import demo-base rootfs

step "1. Build hello: the deps layer (greet, libtext, pkgtool) is created"
"$strata" build --profile ./demo.toml --output out src/hello

step "2. Build hello again: every layer is reused, the install command does not run"
"$strata" build --profile ./demo.toml --output out src/hello

step "3. Build goodbye: same build dependencies, so the same deps layer is reused"
"$strata" build --profile ./demo.toml --output out src/goodbye

step "The artifacts"
for artifact in out/*.pkg; do
    echo "$artifact:"
    tar -xzOf "$artifact"
done

step "4. The repository publishes greet 1.1; plan says the deps layer must be built (exit 10)"
"$here/publish-update.sh" repo
status=0
"$strata" plan --profile ./demo.toml src/hello || status=$?
echo "strata plan exited $status"
[ "$status" -eq 10 ]

step "5. Build hello: a new deps layer is created; the old one stays for anything still on greet 1.0"
"$strata" build --profile ./demo.toml --output out src/hello
tar -xzOf out/hello_1.0.pkg

step "The layers in the store"
"$strata" layers list
