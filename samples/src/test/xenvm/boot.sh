#!/usr/bin/env bash
# Boots Xen 4.17 + a PV dom0 in QEMU (TCG) from the images images.sh built
# beside WORK. dom0 sees this host's root read-only and WORK read-write.
#
#   boot.sh WORK           for the harness: serial log in WORK, control port
#                          WORK/ctl.sock (QEMU waits for the harness to connect)
#   boot.sh WORK shell     for a person: Xen's and dom0's console on this
#                          terminal, a root shell in dom0 and two guests running
#                          (xl console g1); Ctrl-a x quits QEMU
set -euo pipefail
work=${1:?usage: boot.sh WORK [shell]}
mode=${2:-harness}
here=$(cd "$(dirname "$0")" && pwd)
images=$(cd "$work/.." && pwd)/images
case "$work$here$images" in *[,\ ]*) echo "boot.sh: paths must not contain ',' or ' ' (QEMU's -initrd list)" >&2; exit 2 ;; esac

# The CPU QEMU emulates. TCG, because KVM here cannot run Xen. SMAP off: with
# it, TCG + Xen 4.17 fault dom0's first bounce frame. XSAVE off: with it, Xen's
# XSAVE-based switch between domains loses processes' vector registers under
# TCG (regcheck sees SSE and AVX registers change while a guest runs, and the
# JVM then crashes or copies wrong bytes); without it Xen switches with FXSAVE
# and they survive (RealXenLibxenvchanIT.vectorRegistersSurviveDomainSwitches).
cpu=${XENVM_CPU:-max,-smap,-smep,-xsave}

args=(-machine q35 -accel tcg,thread=multi -cpu "$cpu" -m 4096 -smp 2 -nographic -no-reboot
      -kernel "$images/xen" -append "dom0_mem=1536M,max:1536M console=com1 com1=115200"
      -initrd "$images/vmlinuz console=hvc0 xenvm.work=$work xenvm.agent=$here/dom0-agent.sh xenvm.mode=$mode,$images/dom0.cpio.gz"
      -virtfs local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap
      -virtfs "local,path=$work,mount_tag=work,security_model=none,multidevs=remap")
if [[ $mode == shell ]]; then
    exec qemu-system-x86_64 "${args[@]}" -serial mon:stdio -monitor none
fi
exec qemu-system-x86_64 "${args[@]}" -monitor none -serial "file:$work/serial.log" \
    -device virtio-serial-pci -chardev "socket,id=ctl,path=$work/ctl.sock,server=on,wait=on" \
    -device virtserialport,chardev=ctl,name=xenvm.ctl
