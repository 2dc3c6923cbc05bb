#!/bin/sh
# Publishes greet 1.1 into the demo repository in REPO: a new version of
# one dependency, as a distribution's archive would.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=${1:?usage: publish-update.sh REPO}
cp -R "$here/updates/greet-1.1-1" "$repo/pool/"
echo "greet 1.1 1 libtext" >> "$repo/index"
