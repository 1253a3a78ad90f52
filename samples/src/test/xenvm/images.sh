#!/usr/bin/env bash
# Builds what the real-Xen harness boots, from Debian's packages (nothing is
# installed system-wide): Xen 4.17, a Linux kernel that is PV dom0 and PV domU,
# a dom0 initramfs that chroots into this host's root (read-only, over 9p), and
# the parts of a guest initramfs (busybox, Xen's C tools and libraries, our C
# test peers, and a Java runtime with the vchan jar).
#
# Usage: images.sh OUT VCHAN_JAR VCHAN_DRIVER     (does nothing if OUT is complete)
# vchan-hostile, the hostile peer, is taken from beside VCHAN_DRIVER.
# Needs: apt-get, dpkg-deb, busybox-static, cpio, kmod (depmod, modprobe), jlink.
set -euo pipefail

out=${1:?usage: images.sh OUT VCHAN_JAR VCHAN_DRIVER}
jar=${2:?vchan.jar}
driver=${3:?vchan-driver}
hostile=$(dirname "$driver")/vchan-hostile
here=$(cd "$(dirname "$0")" && pwd)

stamp="$(sha256sum "$0" "$here/dom0-init" "$here/guest-init" "$here/regcheck.c" | sha256sum | cut -c1-16)"
if [[ -f "$out/.complete" && "$(cat "$out/.complete")" == "$stamp" \
      && "$out/guest-java.img" -nt "$jar" && "$out/guest-base.cpio.gz" -nt "$driver" \
      && "$out/guest-base.cpio.gz" -nt "$hostile" ]]; then
    exit 0
fi
for tool in apt-get apt-cache dpkg-deb cpio depmod modprobe gzip gcc; do
    command -v "$tool" >/dev/null || { echo "images.sh: needs $tool" >&2; exit 1; }
done
# busybox-static's: guests have no shared libraries of their own for it
busybox=/bin/busybox
if [[ ! -x "$busybox" ]] || ldd "$busybox" >/dev/null 2>&1; then
    echo "images.sh: needs a static /bin/busybox (Debian: busybox-static)" >&2; exit 1
fi
java_home=${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")}
[[ -f "$java_home/jmods/java.base.jmod" ]] || {
    echo "images.sh: $java_home has no jmods (Debian: apt-get install openjdk-17-jmods)" >&2; exit 1; }

mkdir -p "$out/debs"
# The current kernel of the distribution, found through its meta-package.
kpkg=$(apt-cache depends linux-image-amd64 | sed -n 's/^ *Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -n1)
[[ -n "$kpkg" ]] || { echo "images.sh: no linux-image-amd64 in the package lists (apt-get update)" >&2; exit 1; }
kver=${kpkg#linux-image-}
packages=(xen-hypervisor-4.17-amd64 "$kpkg" xen-utils-4.17 xen-utils-common xenstore-utils
          libxenmisc4.17 libxenevtchn1 libxengnttab1 libxenstore4 libxencall1 libxendevicemodel1
          libxenforeignmemory1 libxenhypfs1 libxentoollog1 libxentoolcore1 libyajl2)
if ! ls "$out/debs/${kpkg}_"*.deb >/dev/null 2>&1; then
    rm -f "$out/debs/"*.deb
    (cd "$out/debs" && apt-get download "${packages[@]}" >download.log 2>&1) || {
        cat "$out/debs/download.log" >&2; echo "images.sh: apt-get download failed" >&2; exit 1; }
fi
rm -rf "$out/root" "$out/stage"
mkdir -p "$out/root"
for deb in "$out/debs/"*.deb; do dpkg-deb -x "$deb" "$out/root"; done
depmod -b "$out/root" "$kver"
gunzip -c "$out/root/boot/xen-4.17-amd64.gz" > "$out/xen"
cp "$out/root/boot/vmlinuz-$kver" "$out/vmlinuz"
echo "$kver" > "$out/kernel-version"
libdir="$out/root/usr/lib/x86_64-linux-gnu"

# insmod lines for MODULES... in dependency order, each module once
insmods() {
    local dest=$1; shift
    local m line ko
    for m in "$@"; do
        modprobe -d "$out/root" -S "$kver" --show-depends "$m"
    done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }' | while read -r ko; do
        mkdir -p "$dest/lib/modules"
        cp "$ko" "$dest/lib/modules/"
        echo "insmod /lib/modules/$(basename "$ko")"
    done
}

# A busybox root with its applets as links.
busybox_root() {
    local root=$1
    mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,run,etc,lib,lib64,mnt}
    cp "$busybox" "$root/bin/busybox"
    for applet in $("$busybox" --list); do
        [[ -e "$root/bin/$applet" ]] || ln -s busybox "$root/bin/$applet"
    done
}

# dom0: modules, then chroot into the host's root shared over 9p.
d0="$out/stage/dom0"
busybox_root "$d0"
insmods "$d0" xen-evtchn xen-gntdev xen-gntalloc xenfs xen-privcmd 9p 9pnet_virtio virtio_pci \
    virtio_console overlay > "$d0/etc/modules.sh"
cp "$here/dom0-init" "$d0/init"
chmod +x "$d0/init"
(cd "$d0" && find . | cpio -o -H newc --quiet | gzip -1) > "$out/dom0.cpio.gz"

# guest base: busybox, Xen's device modules, the C peers and their libraries.
g="$out/stage/guest"
busybox_root "$g"
insmods "$g" xen-evtchn xen-gntdev xen-gntalloc > "$g/etc/modules.sh"
mkdir -p "$g/usr/lib" "$g/usr/bin"
cp -a "$libdir"/libxen*.so* "$libdir"/libyajl.so* "$g/usr/lib/"
cp "$out/root/usr/bin/xenstore" "$g/usr/bin/"
for t in read write exists list rm watch chmod ls; do ln -s xenstore "$g/usr/bin/xenstore-$t"; done
cp "$out/root/usr/lib/xen-4.17/bin/vchan-socket-proxy" "$driver" "$hostile" "$g/usr/bin/"
# the C runtime of the host the binaries were built or packaged for
for lib in $(ldd "$driver" "$hostile" "$out/root/usr/bin/xenstore" /bin/sh 2>/dev/null \
             | awk '/=>/ { print $3 } /ld-linux/ { print $1 }' | sort -u); do
    [[ -f "$lib" ]] && cp -L "$lib" "$g/lib/"
done
cp -L /lib64/ld-linux-x86-64.so.2 "$g/lib64/"
for lib in libc.so.6 libm.so.6 libpthread.so.0 libdl.so.2 librt.so.1 libz.so.1 libgcc_s.so.1; do
    [[ -f "/lib/x86_64-linux-gnu/$lib" ]] && cp -L "/lib/x86_64-linux-gnu/$lib" "$g/lib/"
done
# regcheck: the machine's own sanity check (vector registers across domain switches)
gcc -O2 -Wall -static -o "$out/regcheck" "$here/regcheck.c"
cp "$out/regcheck" "$g/usr/bin/"
cp "$here/guest-init" "$g/init"
chmod +x "$g/init"
(cd "$g" && find . | cpio -o -H newc --quiet) > "$out/guest-base.cpio"
gzip -1 -c "$out/guest-base.cpio" > "$out/guest-base.cpio.gz"

# guest Java: a jlink runtime and the vchan jar, appended to the base image
# for guests that run a JVM (uncompressed: the runtime's modules are already).
j="$out/stage/java"
mkdir -p "$j/opt"
"$java_home/bin/jlink" --add-modules java.base,java.desktop,java.management,java.naming,java.sql,jdk.jfr,jdk.unsupported \
    --strip-debug --no-header-files --no-man-pages --compress=2 --output "$j/opt/java"
cp "$jar" "$j/opt/vchan.jar"
# the host libraries the runtime links (libstdc++ and the like), beside the guest's libc
mkdir -p "$j/lib"
for lib in $(find "$j/opt/java" -name '*.so' -o -path '*/bin/java' | xargs ldd 2>/dev/null \
             | awk '/=> \// { print $3 }' | sort -u); do
    [[ -f "$g/lib/$(basename "$lib")" ]] || cp -L "$lib" "$j/lib/"
done
(cd "$j" && find . | cpio -o -H newc --quiet) > "$out/guest-java.cpio"
# both uncompressed: the kernel does not take a plain archive after a gzipped one
cat "$out/guest-base.cpio" "$out/guest-java.cpio" > "$out/guest-java.img"
rm "$out/guest-base.cpio" "$out/guest-java.cpio"

rm -rf "$out/stage"
echo "$stamp" > "$out/.complete"
echo "images.sh: Xen 4.17 and Linux $kver images in $out"
