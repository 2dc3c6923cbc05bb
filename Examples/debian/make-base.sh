#!/bin/sh
# Makes a Debian bookworm base with debootstrap (minbase) and imports it as
# the strata image "bookworm". Usage:
#   make-base.sh [WORKDIR] [STRATA]     WORKDIR default /var/cache/strata/debian
# The tree is kept in WORKDIR/bookworm and reused; delete it to start over.
# Also creates the shared apt download cache the profile binds in.
set -eu
work=${1:-/var/cache/strata/debian}
strata=${2:-strata}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
root="$work/bookworm"

if ! command -v debootstrap >/dev/null; then
    echo "make-base.sh: debootstrap is missing; apt-get install debootstrap" >&2
    exit 1
fi
mkdir -p "$work" /var/cache/strata/apt/bookworm
if [ ! -e "$root/.strata-base-complete" ]; then
    rm -rf "$root"
    if ! debootstrap --variant=minbase --include=gpgv bookworm "$root" "$mirror"; then
        echo "make-base.sh: debootstrap from $mirror failed; is the Debian mirror reachable? (set DEBIAN_MIRROR to use another)" >&2
        exit 1
    fi
    # Builds install exactly what the resolver printed, without asking, and
    # dpkg skips fsync inside layers (the layer is synced once, as a whole).
    cat > "$root/etc/apt/apt.conf.d/90strata" <<'CONF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
APT::Get::Assume-Yes "true";
APT::Sandbox::User "root";
Acquire::Retries "3";
CONF
    echo force-unsafe-io > "$root/etc/dpkg/dpkg.cfg.d/90strata-unsafe-io"
    printf 'deb %s bookworm main\ndeb %s bookworm-updates main\n' "$mirror" "$mirror" > "$root/etc/apt/sources.list"
    # The package index comes with the update layer; the base stays lean.
    rm -rf "$root/var/lib/apt/lists/"*
    mkdir -p "$root/var/lib/apt/lists/partial"
    touch "$root/.strata-base-complete"
fi
# As in systemd-resolved images (Ubuntu, Fedora, Debian with systemd-resolved):
# resolv.conf is a link into /run. strata follows it inside the root to give
# resolve, install and update the host's resolver; e2e builds through it.
if [ ! -L "$root/etc/resolv.conf" ]; then
    rm -f "$root/etc/resolv.conf"
    ln -s ../run/systemd/resolve/stub-resolv.conf "$root/etc/resolv.conf"
fi
"$strata" image rm bookworm >/dev/null 2>&1 || true
"$strata" image import bookworm "$root"
