#!/bin/sh
# End to end with real Debian packages (make e2e): a debootstrap base, an
# update layer, and three source packages fetched with apt-get source —
# tree and sysvbanner share one build-dependency set, hello has another.
# Checks that the .debs exist and dpkg-deb reads them, that sysvbanner reused
# tree's deps layer, that hello created its own stacked on tree's (it adds
# help2man and texinfo: [deps] incremental), and that rebuilding tree skips
# the resolver ([deps] inputs) and reuses every layer with a fast setup. Then shares tree's deps layer through a
# docker-registry on 127.0.0.1: pushed from this store, pulled by a build in a
# second, empty store, which must not install anything. Then autopkgtest runs hello's
# tests and sbuild --chroot-mode=autopkgtest builds tree, both with strata's testbed
# (autopkgtest-virt-strata). Usage: e2e.sh STRATA CACHE_DIR
set -eu
here=$(cd "$(dirname "$0")" && pwd)
strata=${1:?usage: e2e.sh STRATA CACHE_DIR}
cache=${2:?usage: e2e.sh STRATA CACHE_DIR}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
profile="$here/bookworm.toml"
packages="tree sysvbanner hello"
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
export STRATA_STORE="$cache/store"
results="$cache/results"

step() { printf '\n== %s\n' "$*"; }
fail() { echo "e2e: FAILED: $*" >&2; exit 1; }
json() { python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2], {"d": d}))' "$1" "$2"; }

step "Fetching the sources of $packages (deb-src from $mirror, apt state of our own in $cache/apt)"
apt_state="$cache/apt"
mkdir -p "$apt_state/lists/partial" "$apt_state/archives/partial" "$cache/src"
echo "deb-src $mirror bookworm main" > "$apt_state/sources.list"
apt_options="-o Dir::Etc::SourceList=$apt_state/sources.list -o Dir::Etc::SourceParts=/dev/null \
 -o Dir::State::Lists=$apt_state/lists -o Dir::Cache=$apt_state -o Dir::Cache::archives=$apt_state/archives"
if ! apt-get $apt_options -q update; then
    fail "cannot reach the Debian mirror $mirror (apt-get update of its deb-src index failed). make e2e needs it; set DEBIAN_MIRROR to use another mirror"
fi
for package in $packages; do
    if [ ! -d "$cache/src/$package" ]; then
        (cd "$cache/src" && apt-get $apt_options -q source --download-only "$package") \
            || fail "apt-get source $package failed (is $mirror reachable?)"
        dsc=$(ls "$cache/src/${package}_"*.dsc | head -n 1)
        dpkg-source -x "$dsc" "$cache/src/$package" >/dev/null
    fi
done

step "Base image: debootstrap --variant=minbase bookworm (kept in $cache/debian between runs)"
rm -rf "$STRATA_STORE" "$results"
mkdir -p "$results"
"$here/make-base.sh" "$cache/debian" "$strata" || fail "making the base failed"

step "Update layer: package index, upgrades, build-essential"
"$strata" --json update "$profile" > "$results/update.json" || fail "strata update failed"
echo "update layer $(json "$results/update.json" 'd["key"]') in $(json "$results/update.json" 'd["timings_ms"]["update"]') ms"

build() {
    name=$1; package=$2
    out="$cache/out/$name"
    rm -rf "$out"
    "$strata" --json build --profile "$profile" --output "$out" "$cache/src/$package" > "$results/$name.json" \
        || fail "building $package ($name) failed; see above"
    echo "$name: deps $(json "$results/$name.json" '[l for l in d["layers"] if l["role"] == "deps"][0]["key"][:12]')" \
        "reused=$(json "$results/$name.json" '[l for l in d["layers"] if l["role"] == "deps"][0]["reused"]')" \
        "timings_ms=$(json "$results/$name.json" 'd["timings_ms"]')"
    for deb in "$out"/*.deb; do
        [ -e "$deb" ] || fail "$package produced no .deb in $out"
        dpkg-deb --info "$deb" >/dev/null || fail "dpkg-deb cannot read $deb"
    done
}
deps_key() { json "$results/$1.json" '[l for l in d["layers"] if l["role"] == "deps"][0]["key"]'; }
deps_reused() { json "$results/$1.json" '[l for l in d["layers"] if l["role"] == "deps"][0]["reused"]'; }

step "Building tree (creates the deps layer for debhelper-compat 13)"
build tree tree
step "Building sysvbanner (same build dependencies: reuses tree's deps layer)"
build sysvbanner sysvbanner
step "Building hello (help2man and texinfo too: its own deps layer, stacked on tree's)"
build hello hello
step "Rebuilding tree (every layer reused)"
build tree-again tree

step "Checks"
[ "$(deps_reused tree)" = "False" ] || fail "tree should have created its deps layer"
[ "$(deps_key sysvbanner)" = "$(deps_key tree)" ] || fail "sysvbanner did not get tree's deps layer"
[ "$(deps_reused sysvbanner)" = "True" ] || fail "sysvbanner did not reuse tree's deps layer"
[ "$(deps_key hello)" != "$(deps_key tree)" ] || fail "hello should have its own deps layer"
[ "$(deps_reused hello)" = "False" ] || fail "hello should have created its deps layer"
[ "$(json "$results/hello.json" '[l for l in d["layers"] if l["role"] == "deps"][0].get("stands_on")')" = "$(deps_key tree)" ] \
    || fail "hello's deps layer should be stacked on tree's (its set holds tree's)"
added=$(json "$results/hello.json" '[l for l in d["layers"] if l["role"] == "deps"][0]["added"]')
[ "$(json "$results/tree.json" 'd["resolution"]["cached"]')" = "False" ] || fail "the first build of tree cannot have a cached resolution"
[ "$(json "$results/tree-again.json" 'd["resolution"]["cached"]')" = "True" ] || fail "the rebuild of tree ran the resolver although debian/control is unchanged"
"$strata" layers verify > /dev/null || fail "layers verify found a damaged layer"
[ "$(json "$results/tree-again.json" 'all(l["reused"] for l in d["layers"])')" = "True" ] || fail "the rebuild of tree did not reuse every layer"
setup=$(json "$results/tree-again.json" 'd["timings_ms"]["setup"]')
[ "$setup" -lt 1000 ] || fail "the rebuild's setup took $setup ms"
echo "ok: .debs read by dpkg-deb; sysvbanner reused tree's deps layer; hello stacked its own on it (+$added packages); the rebuild of tree reused everything with a cached resolution (resolve $(json "$results/tree-again.json" 'd["timings_ms"]["resolve"]') ms, setup $setup ms)"

step "Sharing: push tree's deps layer to a registry, build tree in an empty store that pulls it"
registry="$cache/registry"
rm -rf "$registry" "$cache/store-b" && mkdir -p "$registry/data"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf 'version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' \
    "$registry/data" "$port" > "$registry/config.yml"
docker-registry serve "$registry/config.yml" > "$registry/log" 2>&1 &
registry_pid=$!
trap 'kill $registry_pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $port))" 2>/dev/null && break
    sleep 0.1
done
cache_ref="127.0.0.1:$port/strata/debian"
"$strata" --json push "$(deps_key tree)" --to "$cache_ref" > "$results/push.json" || fail "strata push failed"
echo "pushed $(json "$results/push.json" '[(l["role"], l["size"]) for l in d["layers"]]') in $(json "$results/push.json" 'd["duration_ms"]') ms"
STRATA_STORE="$cache/store-b" "$strata" image import bookworm "$cache/debian/bookworm" > /dev/null || fail "image import into the second store failed"
STRATA_STORE="$cache/store-b" "$strata" --json update "$profile" > "$results/update-b.json" || fail "strata update in the second store failed"
[ "$(json "$results/update-b.json" 'd["key"]')" = "$(json "$results/update.json" 'd["key"]')" ] \
    || fail "the second store's update layer differs from the first's: the Debian mirror published an upgrade in between; run make e2e again"
out="$cache/out/tree-pulled"
rm -rf "$out"
STRATA_STORE="$cache/store-b" "$strata" --json build --profile "$profile" --cache-from "$cache_ref" --output "$out" "$cache/src/tree" \
    > "$results/tree-pulled.json" || fail "building tree in the second store failed"
[ "$(json "$results/tree-pulled.json" '[l for l in d["layers"] if l["role"] == "deps"][0]["origin"]')" = "pulled" ] \
    || fail "the second store built tree's deps layer instead of pulling it"
[ "$(deps_key tree-pulled)" = "$(deps_key tree)" ] || fail "the second store computed another deps key"
for deb in "$out"/*.deb; do dpkg-deb --info "$deb" > /dev/null || fail "dpkg-deb cannot read $deb"; done
echo "ok: the second store pulled tree's deps layer ($(json "$results/tree-pulled.json" 'd["timings_ms"]["layer"]') ms) instead of installing it"

step "Rootless: an unprivileged user imports the base, makes the update layer, builds tree with its own deps layer"
# A user made for this run, with the 65536 subordinate ids useradd gives (uidmap's
# newuidmap maps them), and everything it uses its own: the archive of the base
# (exported from root's store: it must give the same digest, and so the same keys),
# the source, the apt download cache (a cache mount: not in any key).
user="strata-e2e-$$"
useradd --create-home --shell /bin/sh "$user" || fail "useradd $user failed"
trap 'kill $registry_pid 2>/dev/null || true; userdel --remove "$user" 2>/dev/null || true' EXIT
home=$(getent passwd "$user" | cut -d: -f6)
as_user() { setpriv --reuid="$user" --regid="$user" --init-groups env -u STRATA_STORE HOME="$home" USER="$user" LOGNAME="$user" "$@"; }
"$strata" image export bookworm -o "$home/bookworm.tar" > /dev/null || fail "image export failed"
cp -R "$cache/src/tree" "$home/tree"
mkdir -p "$home/.config/strata/profiles" "$home/apt-cache"
sed "s|^source = \"/var/cache/strata/apt/bookworm\"|source = \"$home/apt-cache\"|" "$profile" > "$home/.config/strata/profiles/bookworm.toml"
chown -R "$user:" "$home"
as_user "$strata" image import bookworm "$home/bookworm.tar" > /dev/null || fail "rootless image import failed"
as_user "$strata" --json update bookworm > "$results/update-rootless.json" || fail "rootless strata update failed"
[ "$(json "$results/update-rootless.json" 'd["key"]')" = "$(json "$results/update.json" 'd["key"]')" ] \
    || fail "the rootless update layer differs from root's: either the Debian mirror published an upgrade in between (run make e2e again) or the key spaces differ"
as_user "$strata" --json build --profile bookworm --output "$home/out" "$home/tree" > "$results/tree-rootless.json" \
    || fail "the rootless build of tree failed; see above"
[ -f "$home/.local/share/strata/.strata-privilege" ] || fail "the rootless build did not use the user's default store"
[ "$(json "$results/tree-rootless.json" '[l for l in d["layers"] if l["role"] == "deps"][0]["reused"]')" = "False" ] \
    || fail "the rootless store reused a deps layer it cannot have"
[ "$(deps_key tree-rootless)" = "$(deps_key tree)" ] || fail "rootless and root computed different deps keys for tree"
for deb in "$home/out"/*.deb; do dpkg-deb --info "$deb" > /dev/null || fail "dpkg-deb cannot read $deb"; done
echo "ok: $user built tree rootless in $(json "$results/tree-rootless.json" 'd["timings_ms"]["build"]') ms, its deps layer installed rootless under the same key as root's ($(deps_key tree-rootless | cut -c1-12))"
userdel --remove "$user" 2>/dev/null || true

kill "$registry_pid" 2>/dev/null || true
wait "$registry_pid" 2>/dev/null || true
trap - EXIT

step "autopkgtest and sbuild with strata as their testbed (autopkgtest-virt-strata)"
# The entry point autopkgtest and sbuild look for, linked to this strata (make install
# puts it in /usr/local/bin); sbuild searches its own PATH setting, given in a config file.
virt="$cache/virt"
rm -rf "$virt" && mkdir -p "$virt/bin" "$virt/sbuild"
ln -s "$(command -v "$strata" || echo "$strata")" "$virt/bin/autopkgtest-virt-strata"
printf '$path = "%s:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";\n1;\n' "$virt/bin" > "$virt/sbuild.conf"
# hello's own tests (debian/tests: command1 runs hello, upstream-tests runs its test
# suite), against the .debs strata built above: autopkgtest installs them in the testbed.
PATH="$virt/bin:$PATH" autopkgtest "$cache/out/hello/"hello_*.deb "$cache/src/hello/" -- strata --profile "$profile" \
    > "$virt/autopkgtest.log" 2>&1 || { tail -n 30 "$virt/autopkgtest.log"; fail "autopkgtest of hello failed"; }
grep -Eq '^command1 +PASS' "$virt/autopkgtest.log" || fail "autopkgtest: command1 did not pass"
grep -Eq '^upstream-tests +PASS' "$virt/autopkgtest.log" || fail "autopkgtest: upstream-tests did not pass"
echo "ok: autopkgtest ran hello's tests in a strata testbed: $(grep -E '^(command1|upstream-tests) ' "$virt/autopkgtest.log" | tail -n 2 | tr -s ' ' | paste -sd ';' -)"
# sbuild builds tree from its .dsc in a strata testbed over tree's deps layer (--source):
# the build dependencies are there already, sbuild's apt has nothing to install.
started=$(date +%s%N)
(cd "$virt/sbuild" && SBUILD_CONFIG="$virt/sbuild.conf" PATH="$virt/bin:$PATH" sbuild --chroot-mode=autopkgtest \
    --autopkgtest-virt-server=strata --autopkgtest-virt-server-opts="--profile $profile --source $cache/src/tree" \
    -d bookworm --no-run-lintian --no-run-piuparts --no-run-autopkgtest --no-apt-update --no-apt-upgrade \
    "$(ls "$cache/src/"tree_*.dsc)" > "$virt/sbuild.log" 2>&1) || { tail -n 30 "$virt/sbuild.log"; fail "sbuild --chroot-mode=autopkgtest of tree failed"; }
elapsed=$(( ($(date +%s%N) - started) / 1000000 ))
set -- "$virt/sbuild/"tree_*.deb
[ -f "$1" ] || fail "sbuild left no tree .deb in $virt/sbuild"
dpkg-deb --info "$1" > /dev/null || fail "dpkg-deb cannot read $1"
grep -q '^Status: successful' "$virt/sbuild/"tree_*.build || fail "sbuild's log does not say the build succeeded"
echo "ok: sbuild --chroot-mode=autopkgtest built $(basename "$1") in a strata testbed in $elapsed ms"
[ -z "$(ls -A "$STRATA_STORE/builds")" ] || fail "a testbed left its directory in $STRATA_STORE/builds"

step "Timings (ms), phase by phase"
printf '%-12s %8s %8s %8s %8s %9s\n' build resolve layer setup build teardown
for name in tree sysvbanner hello tree-again tree-pulled tree-rootless; do
    printf '%-12s %8s %8s %8s %8s %9s\n' "$name" \
        "$(json "$results/$name.json" 'd["timings_ms"]["resolve"]')" "$(json "$results/$name.json" 'd["timings_ms"]["layer"]')" \
        "$(json "$results/$name.json" 'd["timings_ms"]["setup"]')" "$(json "$results/$name.json" 'd["timings_ms"]["build"]')" \
        "$(json "$results/$name.json" 'd["timings_ms"]["teardown"]')"
done
