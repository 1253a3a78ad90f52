#!/usr/bin/env bash
# Unpacks Debian's Xen 4.17 user-space packages (libxenvchan, vchan-socket-proxy,
# headers) into DEST/root, without installing Xen: they are test peers only.
# Usage: fetch-xen.sh DEST   (does nothing if DEST is already complete)
set -euo pipefail

dest=${1:?usage: fetch-xen.sh DEST}
packages=(libxenmisc4.17 xen-utils-4.17 libxen-dev
          libxenevtchn1 libxengnttab1 libxenstore4 libxencall1 libxendevicemodel1
          libxenforeignmemory1 libxenhypfs1 libxentoollog1 libxentoolcore1 libyajl2)

if [[ -f "$dest/.complete" ]]; then
    exit 0
fi
if ! command -v apt-get >/dev/null || ! command -v dpkg-deb >/dev/null; then
    echo "fetch-xen.sh: needs apt-get and dpkg-deb (Debian or Ubuntu)" >&2
    exit 1
fi

rm -rf "$dest"
mkdir -p "$dest/debs" "$dest/root"
cd "$dest/debs"
if ! apt-get download "${packages[@]}" >download.log 2>&1; then
    cat download.log >&2
    echo "fetch-xen.sh: apt-get download failed; run 'apt-get update' first" >&2
    exit 1
fi
for deb in *.deb; do
    dpkg-deb -x "$deb" "$dest/root"
done
# Debian's libxen-dev links the .so names only through its multiarch dir;
# record where the libraries are so the build does not guess.
libdir=$(dirname "$(find "$dest/root" -name 'libxenvchan.so.4.17*' | head -n1)")
echo "$libdir" > "$dest/libdir"
touch "$dest/.complete"
echo "fetch-xen.sh: Xen 4.17 packages unpacked into $dest/root"
