#!/bin/bash
# dom0's agent, in the chroot of the host's root: starts XenStore and the
# console daemon, then runs the commands the harness sends over the control
# port. Protocol, one line each way:
#   harness -> dom0: "run ID"   runs WORK/cmd/ID.sh, output to WORK/cmd/ID.out
#                    "kill ID"  kills that command's process group
#   dom0 -> harness: "ready" once, then "done ID STATUS" per command
work=${1:?work dir}
power_off() { sync; echo 1 >/proc/sys/kernel/sysrq; echo o >/proc/sysrq-trigger; }
xen=$(cat "$work/xen-root")
export XENVM_WORK=$work XENVM_XEN=$xen
export PATH=$xen/usr/lib/xen-4.17/bin:$xen/usr/bin:$PATH
export LD_LIBRARY_PATH=$xen/usr/lib/x86_64-linux-gnu
export XENSTORED_RUNDIR=/run/xenstored XENSTORED_ROOTDIR=/var/lib/xenstored
export XENSTORED_PATH=/run/xenstored/socket
export HOME=/root TMPDIR=/var/tmp
mkdir -p /run/xenstored /var/lib/xenstored /var/run/xen /var/lib/xen /var/log/xen "$work/consoles" "$work/cmd"
log=$work/dom0.log
{
    echo "dom0 agent: $(uname -r), $(nproc) cpus, $(free -m | awk '/Mem:/ {print $2}') MiB"
    xenstored --pid-file /run/xenstored.pid
    xen-init-dom0
    xenconsoled --pid-file=/run/xenconsoled.pid --log=guest --log-dir="$work/consoles"
} >>"$log" 2>&1
if grep -q 'xenvm.mode=shell' /proc/cmdline; then
    # by hand (shell.sh): two guests with a shell each, then a shell here
    source "$(dirname "$0")/xenvm.sh"
    XENVM_JAVA_HOME=$(sed -n 's/^JDK for dom0: //p' "$work/java-home")
    export XENVM_JAVA_HOME
    for g in g1 g2; do
        domid=$(guest_start "$g" java 512 'echo "guest $XENVM_NAME: a shell (Java: $GUEST_JVM -jar /opt/vchan.jar)"; exec setsid cttyhack sh')
        echo "started $g as dom$domid: xl console $g (Ctrl-] leaves it)"
    done
    echo "dom0 shell: xl list, xenstore-ls, jvm -jar samples/target/vchan.jar ...; helpers of xenvm.sh are loaded"
    cd "$(dirname "$0")/../../../.."
    exec setsid bash --rcfile <(echo "source $(dirname "$0")/xenvm.sh; PS1='dom0# '") -i </dev/hvc0 >/dev/hvc0 2>&1
fi
port=
for n in /sys/class/virtio-ports/*/name; do
    [[ "$(cat "$n")" == xenvm.ctl ]] && port=/dev/$(basename "$(dirname "$n")")
done
[[ -n "$port" ]] || { echo "dom0 agent: no control port" >>"$log"; power_off; }
exec 3<>"$port"
echo ready >&3
declare -A pids
while read -r verb id <&3; do
    case "$verb" in
        run)
            setsid bash -c 'bash "$1/cmd/$2.sh" >"$1/cmd/$2.out" 2>&1; echo "done $2 $?" >&3' _ "$work" "$id" &
            pids[$id]=$!
            ;;
        kill)
            [[ -n "${pids[$id]}" ]] && kill -KILL -- "-${pids[$id]}" 2>/dev/null
            ;;
        poweroff)
            break
            ;;
    esac
done
power_off
