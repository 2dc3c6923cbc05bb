#!/bin/sh
# Push and pull throughput of one layer against skopeo copy of the same image, in one
# run, each against a fresh docker-registry on 127.0.0.1.
# usage: registry.sh STRATA STORE KEY WORKDIR [ROUNDS]
#   strata push KEY       export (tar + zstd) and upload, to an empty registry
#   strata pull KEY       download, verify, extract, rename, into an empty store
#   skopeo copy oci: -> docker://   upload of the same blobs, to an empty registry
#   skopeo copy docker:// -> oci:   download and verify of the same blobs
#   tar --zstd -c / -x    making the blob from the layer directory, and unpacking it:
#                         what a user adds to skopeo to get from a directory to a
#                         registry and back
#   strata layers export / import   strata's own local halves, for the breakdown
# Prints a Markdown table of medians and ratios.
set -eu
strata=$1 store=$2 key=$3 work=$4 rounds=${5:-3}
rm -rf "$work" && mkdir -p "$work"
registry_pid=""

stop_registry() {
    if [ -n "$registry_pid" ]; then kill "$registry_pid" 2>/dev/null || true; wait "$registry_pid" 2>/dev/null || true; fi
    registry_pid=""
}
trap stop_registry EXIT INT TERM

# A registry with empty storage; sets $port.
start_registry() {
    stop_registry
    rm -rf "$work/registry" && mkdir -p "$work/registry"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    printf 'version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' \
        "$work/registry" "$port" > "$work/registry.yml"
    docker-registry serve "$work/registry.yml" >>"$work/registry.log" 2>&1 &
    registry_pid=$!
    for _ in $(seq 100); do
        python3 -c "import socket; socket.create_connection(('127.0.0.1', $port))" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "docker-registry did not start" >&2; exit 1
}

seconds() { python3 -c 'import time; print(time.time())'; }
# Each timed step starts with nothing left to write back from the one before.
timed() { sync; start=$(seconds); "$@" > /dev/null; end=$(seconds); python3 -c "print($end - $start)"; }

: > "$work/times"
for round in $(seq "$rounds"); do
    start_registry
    echo "strata-push $(timed "$strata" --store "$store" push "$key" --to "127.0.0.1:$port/strata/cache")" >> "$work/times"
    rm -rf "$work/store"
    echo "strata-pull $(timed "$strata" --store "$work/store" pull "$key" --from "127.0.0.1:$port/strata/cache")" >> "$work/times"
    rm -rf "$work/oci"
    echo "skopeo-pull $(timed skopeo copy -q --src-tls-verify=false "docker://127.0.0.1:$port/strata/cache:$key" "oci:$work/oci:$key")" >> "$work/times"
    start_registry
    echo "skopeo-push $(timed skopeo copy -q --dest-tls-verify=false "oci:$work/oci:$key" "docker://127.0.0.1:$port/strata/cache:$key")" >> "$work/times"
    rm -f "$work/tar.tar.zst"
    echo "tar-create $(timed tar --zstd -cf "$work/tar.tar.zst" -C "$store/layers/$key/upper" .)" >> "$work/times"
    blob=$(ls -S "$work/oci/blobs/sha256" | head -1)
    rm -rf "$work/unpacked" && mkdir "$work/unpacked"
    echo "tar-extract $(timed tar --zstd -xf "$work/oci/blobs/sha256/$blob" -C "$work/unpacked")" >> "$work/times"
    rm -rf "$work/export.tar.zst" "$work/export.tar.zst.json"
    echo "strata-export $(timed "$strata" --store "$store" layers export "$key" -o "$work/export.tar.zst")" >> "$work/times"
    rm -rf "$work/store"
    echo "strata-import $(timed "$strata" --store "$work/store" layers import "$work/export.tar.zst")" >> "$work/times"
done
stop_registry

python3 - "$work/times" "$work/oci" "$key" <<'PY'
import json, pathlib, statistics, sys
times = {}
for line in open(sys.argv[1]):
    name, value = line.split()
    times.setdefault(name, []).append(float(value))
oci = pathlib.Path(sys.argv[2])
index = json.loads((oci / "index.json").read_text())
manifest = json.loads((oci / "blobs/sha256" / index["manifests"][0]["digest"][7:]).read_text())
size = sum(layer["size"] for layer in manifest["layers"])
median = {name: statistics.median(values) for name, values in times.items()}
mb = size / 1e6
print(f"Layer {sys.argv[3][:12]}: {mb:.1f} MB as stored (zstd), {len(times['strata-push'])} rounds, medians.\n")
print("| direction | strata | skopeo copy alone | strata / skopeo | tar + skopeo copy | strata / (tar + skopeo) | strata's local part |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
for direction, ours, theirs, local_theirs, local_ours in [
        ("push (directory to an empty registry)", "strata-push", "skopeo-push", "tar-create", "strata-export"),
        ("pull (registry to a directory)", "strata-pull", "skopeo-pull", "tar-extract", "strata-import")]:
    a, b, c, d = median[ours], median[theirs], median[local_theirs], median[local_ours]
    print(f"| {direction} | {a:.2f} s ({mb / a:.0f} MB/s) | {b:.2f} s ({mb / b:.0f} MB/s) | {a / b:.2f}× "
          f"| {b + c:.2f} s ({c:.2f} s tar) | {a / (b + c):.2f}× | {d:.2f} s ({local_ours.split('-')[1]}) |")
print("\nAll rounds (s): " + "; ".join(f"{name} " + ", ".join(f"{v:.2f}" for v in values) for name, values in sorted(times.items())))
PY
