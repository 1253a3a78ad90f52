package io.vchan.samples.xenvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * On real Xen, Java at both ends: the connector's Flows ({@code vchan cat})
 * in a guest and in dom0, both roles; {@code bind} in a guest serving
 * successive clients from dom0; and a peer that dies mid-stream.
 */
class RealXenJavaAcrossDomainsIT extends RealXenSuite {

    private static final int BYTES = 2 << 20;

    /** A guest job's run I: random stdin through {@code vchan cat ARGS}, "rI exit STATUS", both files' digests. */
    private static String guestCat(int i, String args) {
        return ("head -c %1$d /dev/urandom > /tmp/in%2$d; $GUEST_JVM -jar /opt/vchan.jar cat %3$s < /tmp/in%2$d"
                + " > /tmp/out%2$d; echo \"r%2$d exit $?\"; for f in in out; do echo \"r%2$d std$f"
                + " $(stat -c %%s /tmp/${f}%2$d) sha256=$(sha256sum < /tmp/${f}%2$d | cut -c1-64)\"; done; ")
                .formatted(BYTES, i, args);
    }

    /** dom0's run I: the same in dom0 ({@code xenvm.sh}'s {@code digest}). */
    private static String dom0Cat(int i, String args) {
        return ("head -c %1$d /dev/urandom > /var/tmp/in%2$d; jvm -jar %3$s cat %4$s < /var/tmp/in%2$d"
                + " > /var/tmp/out%2$d; echo \"r%2$d exit $?\"; digest \"r%2$d stdin\" /var/tmp/in%2$d;"
                + " digest \"r%2$d stdout\" /var/tmp/out%2$d; ")
                .formatted(BYTES, i, System.getProperty("vchan.jar"), args);
    }

    @Test
    void flowServerAndClientInAGuestJvmAgainstFlowsInDom0() throws Exception {
        // r0: the guest serves, dom0 connects; r1: dom0 serves, the guest connects (one guest: its start
        // costs more than a transfer)
        String out = scenario("Flow server and client (JVM in a guest) <-> Flows in dom0", Duration.ofMinutes(6),
                "with_guest jflow java 512 '" + guestCat(0, "-l 0 p") + guestCat(1, "--connect-timeout 150 0 q")
                        + "' '" + dom0Cat(0, "--connect-timeout 150 $domid p") + dom0Cat(1, "-l $domid q") + "'");
        for (String r : new String[] {"r0 ", "r1 "}) {
            assertRunBothWays(out, r, "stdin", "stdout", "stdin", "stdout");
            assertTrue(line(out, "dom0: " + r + "stdin").startsWith(BYTES + " "), out);
        }
    }

    @Test
    void bindInGuestServesThreeSuccessiveClientsFromDom0() throws Exception {
        // the guest agent serves with bind; each dom0 client sends two requests and half-closes
        String out = scenario("bind in a guest (guest agent) serves 3 successive dom0 clients",
                Duration.ofMinutes(4), """
                domid=$(guest_start agent java 512 '$GUEST_JVM -jar /opt/vchan.jar guest-agent --manager-domain 0 --port vmm') || exit 1
                jvm -cp %s:%s io.vchan.samples.xenvm.SuccessiveClients $domid vmm 3 150 \
                    '{"id":%%d,"op":"ping"}' '{"id":1%%d,"op":"status"}'
                echo "domid $domid"
                guest_destroy agent
                """.formatted(System.getProperty("vchan.jar"), codeSource(SuccessiveClients.class)));
        String domid = line(out, "domid");
        for (int i = 1; i <= 3; i++) {
            assertEquals("0", line(out, "client" + i + ": exit"), out);
            String pong = "client" + i + ": {\"id\":" + i + ",\"pong\":true}";
            assertTrue(out.lines().anyMatch(pong::equals), "no " + pong + " in\n" + out);
            String statusOf = "client" + i + ": {\"id\":" + (i + 10) + ",";
            String status = out.lines().filter(l -> l.startsWith(statusOf))
                    .findFirst().orElseThrow(() -> new AssertionError("no status answer\n" + out));
            assertTrue(status.contains("\"domain\":" + domid), status);
        }
    }

    @Test
    void guestDestroyedMidTransferIsSeenByDom0Flow() throws Exception {
        // On real Xen a destroyed domain clears no live byte and sends no event: dom0 must notice itself.
        String out = scenario("xl destroy of the guest mid-transfer, seen by dom0's Flow", Duration.ofMinutes(3), """
                domid=$(guest_start doomed base 256 "vchan-driver client --peer 0 --path /local/domain/0/data/vchan/\\$XENVM_DOMID/doom --send 100000000000 --expect 100000000000 --no-verify --timeout-ms 600000") || exit 1
                # the time in ms as $REPLY, without the fork of $(date) (costly in a PV dom0 under TCG)
                now() { local t=${EPOCHREALTIME/./}; REPLY=${t:0:13}; }
                stamp() { while IFS= read -r l; do now; echo "$REPLY $l"; done; }
                # when the toolstack removed the domain's XenStore directory (what our watch sees)
                xenstore-watch /local/domain/$domid | while read -r _; do
                    xenstore-exists /local/domain/$domid/domid || { now; echo "node-gone $REPLY"; break; }
                done &
                # the library's own word of the moment it learned (its debug line), stamped as it arrives
                timeout 90 "$XENVM_JAVA_HOME/bin/java" -XX:TieredStopAtLevel=1 -XX:-UsePerfData -XX:+UseSerialGC \\
                    -Dorg.slf4j.simpleLogger.log.io.vchan.bridge.events.PeerDomainWatch=debug -Djava.io.tmpdir=/var/tmp \\
                    -Djna.tmpdir=/var/tmp -XX:ErrorFile="$XENVM_WORK/hs_err_%%p.log" \\
                    -cp %s:%s io.vchan.samples.xenvm.FlowUntilPeerDies $domid doom 2> >(stamp > /var/tmp/doom.err) | {
                    read -r started; echo "dom0: $started"
                    { now; echo "destroy-start $REPLY"; xl destroy doomed; now; echo "destroy-end $REPLY"; } &
                    while read -r l; do echo "dom0: $l"; done; wait
                }
                echo "dom0: exit ${PIPESTATUS[0]}"
                pkill -f "xenstore-watch /local/domain/$domid"; wait
                sed 's/^/stderr /' /var/tmp/doom.err
                """.formatted(System.getProperty("vchan.jar"), codeSource(FlowUntilPeerDies.class)));
        assertEquals("6", line(out, "dom0: exit"), "dom0's Flow must fail (6)\n" + out);
        long destroyStart = Long.parseLong(line(out, "destroy-start"));
        long destroyEnd = Long.parseLong(line(out, "destroy-end"));
        // stderr: the library's debug line when it learned, stamped by the shell as it read it
        String[] logged = out.lines().filter(l -> l.startsWith("stderr ") && l.contains(" was destroyed: told "))
                .findFirst().orElseThrow(() -> new AssertionError("the library did not say it learned\n" + out))
                .split(" ");
        long known = Long.parseLong(logged[1]);
        String err = line(out, "dom0: flow-failed");
        long seen = Long.parseLong(err.split(" ")[0]);
        long nodeGone = Long.parseLong(line(out, "node-gone"));
        System.out.printf("[xenvm] xl destroy took %d ms; /local/domain/N went %d ms after it began; the library"
                + " knew %d ms after that; dom0's Flow failed %d ms after it went, %d ms after xl"
                + " returned: %s%n", destroyEnd - destroyStart, nodeGone - destroyStart, known - nodeGone,
                seen - nodeGone, seen - destroyEnd, err);
        assertTrue(err.contains("VchanPeerClosedException"), err);
        // the toolstack's removal of /local/domain/N is where real Xen shows the death: the library
        // must know within 100 ms of it (the shell's own stamp of it comes late, by a fork or two)
        assertTrue(known - nodeGone < 100, "the library knew " + (known - nodeGone) + " ms after the node went\n"
                + out);
        assertTrue(seen - nodeGone < 5000, "dom0's Flow failed " + (seen - nodeGone) + " ms after it\n" + out);
    }

    @Test
    void dom0JvmKilledMidTransferIsSeenByGuest() throws Exception {
        String out = scenario("SIGKILL of the JVM in dom0 mid-transfer, seen by the guest", Duration.ofMinutes(3), """
                domid=$(guest_start survivor base 256 "vchan-driver client --peer 0 --path /local/domain/0/data/vchan/\\$XENVM_DOMID/kill --send 100000000000 --expect 100000000000 --no-verify --timeout-ms 600000") || exit 1
                rm -f /var/tmp/started; mkfifo /var/tmp/started
                jvm -jar %s cat -l $domid kill < /dev/zero 2>/dev/null \\
                    | { head -c 4194304 > /dev/null; echo > /var/tmp/started; cat > /dev/null; } &
                read -r _ < /var/tmp/started  # the transfer is under way: 4 MiB came from the guest
                pid=$(pgrep -f "vchan.jar cat -l $domid kill") || exit 1
                s=$(date +%%s%%N); kill -KILL $pid
                status=$(guest_wait survivor 60) || exit 1
                echo "guest: ended $(( ($(date +%%s%%N) - s) / 1000000 )) ms after the kill, exit $status"
                guest_console survivor | prefix guest
                guest_destroy survivor
                """.formatted(System.getProperty("vchan.jar")));
        String ended = line(out, "guest: ended");
        System.out.println("[xenvm] guest " + ended);
        assertTrue(ended.endsWith("exit 1"), "the guest's client must end early (peer gone)\n" + out);
        assertTrue(out.lines().anyMatch(l -> l.startsWith("guest: received ")), out);
    }
}
