#!/bin/sh
# The build step alone (make bench-build; not in CI): the same dpkg-buildpackage in
# strata's root (`strata build`, every layer reused; its timings' `build` phase) and
# in a plain directory copy of the same merged root (made once with `strata run`,
# entered with chroot in new mount, PID, IPC, UTS and network namespaces, as the same
# build user), interleaved round by round. Prints the medians and strata's build step
# against the plain copy's. Needs the store and sources of `make e2e`.
# Usage: build-step.sh STRATA E2E_CACHE WORK ROUNDS PACKAGE[:DEB_BUILD_OPTIONS]...
set -eu
strata=$1; cache=$2; work=$3; rounds=$4; shift 4
profile="$(cd "$(dirname "$0")/.." && pwd)/Examples/debian/bookworm.toml"
export STRATA_STORE="$cache/store"
mkdir -p "$work"
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
echo "| package | build dependencies | strata build step (ms) | plain copy (ms) | strata ÷ plain |"
echo "| --- | ---: | ---: | ---: | ---: |"
for spec in "$@"; do
    package=${spec%%:*}; options=${spec#*:}; [ "$options" = "$spec" ] && options="parallel=2"
    source="$cache/src/$package"
    plain="$work/plain-$package"
    "$strata" --json build --profile "$profile" --env DEB_BUILD_OPTIONS="$options" --output "$work/out" "$source" > "$work/warm.json" 2>/dev/null
    deps=$(python3 -c 'import json, sys; print([l for l in json.load(open(sys.argv[1]))["layers"] if l["role"] == "deps"][0]["dependencies"])' "$work/warm.json")
    if [ ! -d "$plain/usr" ]; then
        rm -rf "$plain" && mkdir -p "$plain"
        "$strata" run --profile "$profile" --bind "$plain:/plain" "$source" -- sh -c \
            'cd / && tar --one-file-system --exclude=./plain --exclude=./proc --exclude=./sys -cf - . | tar -xpf - -C /plain'
        mkdir -p "$plain/proc" "$plain/dev" "$plain/tmp"
        cp -a "$plain/build" "$plain/build.pristine"
    fi
    : > "$work/strata.ms"; : > "$work/plain.ms"
    for round in $(seq "$rounds"); do
        "$strata" --json build --profile "$profile" --env DEB_BUILD_OPTIONS="$options" --output "$work/out" "$source" > "$work/round.json" 2>/dev/null
        python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["timings_ms"]["build"])' "$work/round.json" >> "$work/strata.ms"
        rm -rf "$plain/build" && cp -a "$plain/build.pristine" "$plain/build"
        started=$(date +%s%N)
        unshare --mount --pid --fork --ipc --uts --net sh -c "
            mount -t proc proc '$plain/proc'; mount --rbind /dev '$plain/dev'; mount -t tmpfs tmpfs '$plain/tmp'
            chroot '$plain' setpriv --reuid=build --regid=build --init-groups env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
                HOME=/build LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive DEB_BUILD_OPTIONS='$options' \
                sh -c 'cd /build/src && dpkg-buildpackage -us -uc -b' > /dev/null 2>&1"
        echo $(( ($(date +%s%N) - started) / 1000000 )) >> "$work/plain.ms"
        echo "$package round $round: strata $(tail -n 1 "$work/strata.ms") plain $(tail -n 1 "$work/plain.ms")" >&2
    done
    s=$(median < "$work/strata.ms"); p=$(median < "$work/plain.ms")
    echo "| $package ($options) | $deps | $s | $p | $(python3 -c "print(f'{$s / $p:.3f}')") |"
done
