#!/usr/bin/env bash
# The Debian image the tests fork VMs from, built once per machine and reused while its inputs
# stay the same (this script, the distribution, this machine's apt sources, mmdebstrap's version):
# a minimal root of this machine's distribution with sudo, made by mmdebstrap from the archive
# this machine's apt uses, as a tar archive (image.tar); and beside it an apt repository (repo/,
# .deb files and a Packages index) with what the tests and samples install in their VMs beyond
# the image (hello, PostgreSQL, Python), so that a VM's `sudo apt-get install` is served from the loopback
# address, never from elsewhere; and the image as an OCI image layout (layout/, tag "debian") for
# the tests that push it to a registry on the loopback address.
#   usage: debian-image.sh CACHE_FOLDER     prints the folder that holds image.tar and repo/
set -euo pipefail
cache=$1
in_repo="hello postgresql python3"

# shellcheck disable=SC1091
. /etc/os-release
suite=${VERSION_CODENAME:?this machine names no release (VERSION_CODENAME in /etc/os-release)}
sources=""
for candidate in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list.d/ubuntu.sources /etc/apt/sources.list; do
  if [ -s "$candidate" ]; then sources=$candidate; break; fi
done
[ -n "$sources" ] || { echo "no apt sources on this machine (/etc/apt/sources.list[.d])" >&2; exit 1; }
command -v mmdebstrap >/dev/null || { echo "mmdebstrap is not installed (apt-get install mmdebstrap)" >&2; exit 1; }
command -v dpkg-scanpackages >/dev/null || { echo "dpkg-scanpackages is not installed (apt-get install dpkg-dev)" >&2; exit 1; }

key=$( { cat "$0"; echo "$suite"; cat "$sources"; mmdebstrap --version; } | sha256sum | cut -c1-16)
out="$cache/debian-$suite-$key"
mkdir -p "$cache"
exec 9>"$cache/.debian-image.lock"
flock 9
if [ ! -f "$out/image.tar" ]; then
  staging=$(mktemp -d "$cache/.tmp-debian-XXXXXX")
  trap 'rm -rf "$staging"' EXIT
  mkdir "$staging/repo"
  # /srv/zero: a device node outside /dev (made where mmdebstrap runs as root), which no VM may get.
  mmdebstrap --quiet --variant=minbase --include=sudo \
    --customize-hook="chroot \"\$1\" apt-get clean" \
    --customize-hook="mknod -m 666 \"\$1/srv/zero\" c 1 5 || true" \
    --customize-hook="chroot \"\$1\" apt-get install --download-only --yes --no-install-recommends $in_repo" \
    --customize-hook="sync-out /var/cache/apt/archives $staging/repo" \
    "$suite" "$staging/image.tar" "$sources" >&2
  (cd "$staging/repo" && rm -rf partial lock && dpkg-scanpackages --multiversion . /dev/null > Packages 2>/dev/null)
  rootless=(); [ "$(id -u)" -eq 0 ] || rootless=(--rootless)
  umoci init --layout "$staging/layout"
  umoci new --image "$staging/layout:debian"
  umoci unpack "${rootless[@]}" --image "$staging/layout:debian" "$staging/bundle" >&2
  tar -xf "$staging/image.tar" -C "$staging/bundle/rootfs" --numeric-owner --exclude=./dev/* --exclude=./srv/zero
  umoci repack --image "$staging/layout:debian" "$staging/bundle" >&2
  rm -rf "$staging/bundle"
  chmod -R a+rX "$staging"
  rm -rf "$out"
  mv "$staging" "$out"
  trap - EXIT
fi
echo "$out"
