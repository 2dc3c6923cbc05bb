#!/bin/sh
# Makes the demo's base root file system in DIR: Debian's static busybox with
# a link for each of its applets, /etc/passwd, /etc/group, and the usual
# top-level directories. Needs the busybox-static package.
set -eu
root=${1:?usage: make-base.sh DIR}
busybox=${BUSYBOX:-/bin/busybox}
if ! "$busybox" --list-full >/dev/null 2>&1; then
    echo "make-base.sh: $busybox is not busybox; install busybox-static (apt-get install busybox-static)" >&2
    exit 1
fi
mkdir -p "$root"
cd "$root"
mkdir -p bin sbin usr/bin usr/sbin etc root tmp proc sys dev var/lib build
cp "$busybox" bin/busybox
for applet in $("$busybox" --list-full); do
    [ -e "$applet" ] || ln -s /bin/busybox "$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > etc/passwd
printf 'root:x:0:\nnogroup:x:65534:\n' > etc/group
: > etc/resolv.conf
chmod 0700 root
chmod 1777 tmp
