#!/bin/sh
# Checks what install-files.sh installed under DESTDIR (make e2e runs it on a
# temporary DESTDIR): the binary and its version, the autopkgtest entry point,
# a man page per command, completions that the shells accept, the systemd
# units, and a gc.conf that strata reads. Usage: check-install.sh DESTDIR PREFIX
set -eu
destdir=${1:?usage: check-install.sh DESTDIR PREFIX}
prefix=${2:?}
root="$destdir$prefix"
fail() { echo "check-install: FAILED: $*" >&2; exit 1; }

"$root/bin/strata" --version | grep -Eq '^strata [0-9]+\.[0-9]+\.[0-9]+ \(layer format [0-9]+\)$' \
    || fail "strata --version does not print the version and the layer format: $("$root/bin/strata" --version)"
[ "$(readlink "$root/bin/autopkgtest-virt-strata")" = strata ] || fail "autopkgtest-virt-strata is not a link to strata"
for page in strata strata.build strata.plan strata.shell strata.run strata.update strata.virt-server strata.gc \
    strata.profile.check strata.profile.show strata.image.import strata.layers.export strata.push strata.pull; do
    [ -f "$root/share/man/man1/$page.1" ] || fail "no man page $page.1"
    grep -q '^\.Dt' "$root/share/man/man1/$page.1" || fail "$page.1 is not a man page"
done
grep -q 'virt-server' "$root/share/man/man1/strata.1" || fail "strata.1 does not list virt-server"
bash -n "$root/share/bash-completion/completions/strata" || fail "bash rejects the bash completion"
grep -q 'virt-server' "$root/share/bash-completion/completions/strata" || fail "the bash completion lacks virt-server"
[ -s "$root/share/zsh/site-functions/_strata" ] || fail "no zsh completion"
[ -s "$root/share/fish/vendor_completions.d/strata.fish" ] || fail "no fish completion"
grep -q "^ExecStart=$prefix/bin/strata gc --config /etc/strata/gc.conf$" "$root/lib/systemd/system/strata-gc.service" \
    || fail "strata-gc.service does not run $prefix/bin/strata gc --config /etc/strata/gc.conf"
grep -q '^OnCalendar=' "$root/lib/systemd/system/strata-gc.timer" || fail "strata-gc.timer has no schedule"
if command -v systemd-analyze > /dev/null 2>&1; then
    # Verified against the installed binary's path: the unit names $prefix/bin/strata.
    sed "s|$prefix/bin/strata|$root/bin/strata|" "$root/lib/systemd/system/strata-gc.service" > "$destdir/strata-gc.service"
    cp "$root/lib/systemd/system/strata-gc.timer" "$destdir/strata-gc.timer"
    systemd-analyze verify --man=no "$destdir/strata-gc.service" "$destdir/strata-gc.timer" \
        || fail "systemd-analyze rejects the strata-gc units"
fi
store=$(mktemp -d)
"$root/bin/strata" --store "$store/store" gc --config "$destdir/etc/strata/gc.conf" --dry-run > /dev/null \
    || { rm -rf "$store"; fail "strata gc does not read the installed gc.conf"; }
rm -rf "$store"
echo "ok: make install: strata $("$root/bin/strata" --version | cut -d' ' -f2-), autopkgtest-virt-strata, $(ls "$root/share/man/man1" | wc -l) man pages, bash/zsh/fish completions, strata-gc.service and .timer, gc.conf"
