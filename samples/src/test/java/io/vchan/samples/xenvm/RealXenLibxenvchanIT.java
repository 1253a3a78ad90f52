package io.vchan.samples.xenvm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.Arrays;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

/**
 * On real Xen: our protocol code in dom0 against Debian's unmodified
 * libxenvchan in a guest, both roles, in-page and multi-page rings; and the
 * {@code vchan cat} tool with every byte of its stdin and stdout checked.
 */
class RealXenLibxenvchanIT extends RealXenSuite {

    private static final int BYTES = 2 << 20;

    @Test
    void vectorRegistersSurviveDomainSwitches() throws Exception {
        // Without this every other failure here could be the machine's, not ours.
        String out = scenario("vector registers of dom0 and a guest, 20 s of domain switches",
                Duration.ofMinutes(2), """
                guest_start regs base 256 'regcheck 20' >/dev/null || exit 1
                regcheck 20 | prefix dom0a & regcheck 20 | prefix dom0b
                wait
                guest_wait regs 60 >/dev/null || exit 1
                guest_console regs | grep '^regcheck' | prefix guest
                guest_destroy regs
                """);
        for (String who : new String[] {"dom0a", "dom0b", "guest"}) {
            String seen = line(out, who + ": regcheck");
            assertEquals(true, seen.contains("sse_changed=0") && seen.contains("avx_changed=0"),
                    who + " saw its registers change: " + seen);
        }
    }

    /** Ring sizes a server asks for (read, write) and the orders both ends must then agree on (left, right). */
    private static final int[][] RINGS = {{1024, 2048, 10, 11}, {4096, 1 << 20, 12, 20}, {1 << 20, 1 << 20, 20, 20}};

    @Test
    void ourServerInDom0ServesLibxenvchanClientInGuestInEachRingOrder() throws Exception {
        String cp = driverClasspath();
        inEachRingOrder("java server dom0 <-> C client guest",
                i -> "vchan-driver client --peer 0 --path /local/domain/0/data/vchan/$XENVM_DOMID/rx" + i
                        + " --send " + BYTES + " --expect " + BYTES + " --seed 2 --timeout-ms 90000",
                i -> "jvm -Dvchan.driver.platform=xen -cp " + cp + " io.vchan.bridge.interop.JavaVchanDriver server"
                        + " --peer $domid --path /local/domain/0/data/vchan/$domid/rx" + i + " --read-size "
                        + RINGS[i][0] + " --write-size " + RINGS[i][1] + " --send " + BYTES + " --expect " + BYTES
                        + " --seed 1");
    }

    @Test
    void libxenvchanServerInGuestServesOurClientInDom0InEachRingOrder() throws Exception {
        String cp = driverClasspath();
        inEachRingOrder("C server guest <-> java client dom0",
                i -> "vchan-driver server --peer 0 --path /local/domain/$XENVM_DOMID/data/vchan/0/rx" + i
                        + " --read-size " + RINGS[i][0] + " --write-size " + RINGS[i][1] + " --send " + BYTES
                        + " --expect " + BYTES + " --seed 2 --timeout-ms 90000",
                i -> "jvm -Dvchan.driver.platform=xen -cp " + cp + " io.vchan.bridge.interop.JavaVchanDriver client"
                        + " --peer $domid --path /local/domain/$domid/data/vchan/0/rx" + i + " --send " + BYTES
                        + " --expect " + BYTES + " --seed 1");
    }

    /**
     * One guest and one scenario for the three ring orders (a guest start costs more than a
     * transfer): run I of the guest's command beside run I of dom0's; then for each order, each
     * side received exactly what the other sent, and both agree on the orders.
     */
    private void inEachRingOrder(String name, IntFunction<String> guestCommand, IntFunction<String> dom0Command)
            throws Exception {
        StringBuilder guest = new StringBuilder();
        StringBuilder dom0 = new StringBuilder();
        for (int i = 0; i < RINGS.length; i++) {
            guest.append(run(i, "/tmp", guestCommand.apply(i)));
            dom0.append(run(i, "/var/tmp", dom0Command.apply(i)));
        }
        String out = scenario(name + ", rings " + ringSizes(), Duration.ofMinutes(5),
                "with_guest peer base 256 '" + guest + "' '" + dom0 + "'");
        for (int i = 0; i < RINGS.length; i++) {
            String r = "r" + i + " ";
            String orders = "left=" + RINGS[i][2] + " right=" + RINGS[i][3];
            assertEquals(orders, line(out, "dom0: " + r + "orders"), out);
            assertEquals(orders, line(out, "guest: " + r + "orders"), out);
            assertRunBothWays(out, r, "sent", "received", "sent", "received");
            assertEquals(true, line(out, "dom0: " + r + "sent").startsWith(BYTES + " "), out);
        }
    }

    /** A peer's run I in a guest job or a dom0 command: its lines as "rI ...", then "rI exit STATUS". */
    private static String run(int i, String tmp, String command) {
        String file = tmp + "/r" + i;
        return command + " > " + file + " 2>&1; echo \"r" + i + " exit $?\"; sed \"s/^/r" + i + " /\" " + file + "; ";
    }

    private static String ringSizes() {
        return Arrays.stream(RINGS).map(r -> r[0] + "/" + r[1]).reduce((x, y) -> x + ", " + y).orElse("");
    }

    @Test
    void catInDom0DeliversEveryByteToLibxenvchanInBothRoles() throws Exception {
        // r0: cat -l in dom0 serves libxenvchan's client; r1: cat in dom0 is the client of its server
        String guest = run(0, "/tmp", "vchan-driver client --peer 0 --path /local/domain/0/data/vchan/$XENVM_DOMID/cat"
                + " --send " + BYTES + " --expect " + BYTES + " --seed 3 --timeout-ms 90000")
                + run(1, "/tmp", "vchan-driver server --peer 0 --path /local/domain/$XENVM_DOMID/data/vchan/0/cat"
                + " --send " + BYTES + " --expect " + BYTES + " --seed 4 --timeout-ms 90000");
        String dom0 = catInDom0(0, "-l $domid cat") + catInDom0(1, "--connect-timeout 60 $domid cat");
        String out = scenario("vchan cat dom0 <-> C peer guest, both roles, every byte", Duration.ofMinutes(4),
                "with_guest peer base 256 '" + guest + "' '" + dom0 + "'");
        for (String r : new String[] {"r0 ", "r1 "}) {
            assertRunBothWays(out, r, "stdin", "received", "sent", "stdout");
        }
    }

    @Test
    void xensOwnSocketProxyInDom0AndOurProxyAndCatInAGuestBothRoles() throws Exception {
        // Xen's proxy in dom0 (its client mode asks libxenctrl about the peer, which only dom0 may),
        // a UNIX-socket program behind it; ours in a Java guest over stdin/stdout, four ends at once.
        // A vchan close drops what is still in the ring, so each end sends the SHA-256 of what it
        // got once it has all of it, and the guest's stdin ends once dom0's digest is there.
        int guestBytes = 1 << 20;
        String guestJob = ("head -c %1$d /dev/urandom > /tmp/in; me=$XENVM_DOMID; v=\"$GUEST_JVM -jar /opt/vchan.jar\";"
                + " upto() { t=0; until [ $(stat -c %%s $1) -ge $2 ] || [ $t -ge 2400 ];"
                + " do sleep 0.1; t=$((t+1)); done; };"
                + " feed() { cat /tmp/in; upto $1 %2$d; head -c %2$d $1 | sha256sum | cut -c1-64 | tr -d \"\\n\";"
                + " upto $1 %3$d; };"
                + " run() { tag=$1; shift; o=/tmp/out-$tag; : > $o; feed $o | $v \"$@\" > $o; echo \"$tag exit $?\";"
                + " echo \"$tag stdout %2$d sha256=$(head -c %2$d $o | sha256sum | cut -c1-64)\";"
                + " echo \"$tag ack sha256=$(tail -c 64 $o)\"; echo \"$tag size $(stat -c %%s $o)\"; };"
                + " echo \"stdin $(stat -c %%s /tmp/in) sha256=$(sha256sum < /tmp/in | cut -c1-64)\";"
                + " run proxy-server proxy -m server 0 /local/domain/$me/data/vchan/0/p1 - &"
                + " run proxy-client proxy 0 /local/domain/0/data/vchan/$me/p2 - &"
                + " run cat-server cat -l 0 p3 &"
                + " run cat-client cat --connect-timeout 200 0 p4 & wait").formatted(guestBytes, BYTES, BYTES + 64);
        String out = scenario("Xen's vchan-socket-proxy dom0 <-> vchan proxy and cat (JVM in a guest)",
                Duration.ofMinutes(6), """
                domid=$(XENVM_VCPUS=2 guest_start proxied java 1024 '%1$s') || exit 1
                x=vchan-socket-proxy; s=/var/tmp/sockets; rm -rf $s; mkdir -p $s
                # client mode listens on a socket and connects to the guest's server per connection;
                # server mode publishes and connects to the program's socket per client
                $x $domid /local/domain/$domid/data/vchan/0/p1 $s/p1 2> $s/x1.err &
                $x -m server $domid /local/domain/0/data/vchan/$domid/p2 $s/p2 2> $s/x2.err &
                $x $domid /local/domain/$domid/data/vchan/0/p3 $s/p3 2> $s/x3.err &
                $x -m server $domid /local/domain/0/data/vchan/$domid/p4 $s/p4 2> $s/x4.err &
                head -c %2$d /dev/urandom > $s/send
                digest dom0-sent $s/send
                jvm -cp %3$s io.vchan.samples.xenvm.SocketExchange $s/send %4$d 240000 \\
                    proxy-server=connect:$s/p1 proxy-client=serve:$s/p2 cat-server=connect:$s/p3 cat-client=serve:$s/p4
                echo "dom0: exit $?"
                echo "guest: exit $(guest_wait proxied 60)"
                guest_console proxied | prefix guest
                guest_destroy proxied
                kill %%1 %%2 %%3 %%4 2>/dev/null; wait
                for f in $s/x*.err; do prefix "$(basename $f)" < $f; done
                """.formatted(guestJob, BYTES, codeSource(SocketExchange.class), guestBytes));
        assertEquals("0", line(out, "dom0: exit"), out);
        assertEquals("0", line(out, "guest: exit"), out);
        for (String end : new String[] {"proxy-server", "proxy-client", "cat-server", "cat-client"}) {
            assertEquals("0", line(out, "guest: " + end + " exit"), end + "\n" + out);
            assertEquals(line(out, "dom0-sent"), line(out, end + " sent"), out);
            assertEquals(line(out, end + " sent"), line(out, "guest: " + end + " stdout"),
                    end + ": dom0 -> guest bytes\n" + out);
            assertEquals(line(out, "guest: stdin"), line(out, end + " received"),
                    end + ": guest -> dom0 bytes\n" + out);
            assertEquals(line(out, "dom0-sent").split(" ")[1], line(out, end + " they received"), out);
            assertEquals(line(out, "guest: stdin").split(" ")[1], line(out, "guest: " + end + " ack"), out);
            assertEquals(Integer.toString(BYTES + 64), line(out, "guest: " + end + " size"), "nothing else\n" + out);
        }
    }

    /** dom0's run I: random stdin through {@code vchan cat ARGS}; "rI exit STATUS" and both files' digests. */
    private static String catInDom0(int i, String args) {
        String in = "/var/tmp/cat-in" + i;
        String out = "/var/tmp/cat-out" + i;
        return "head -c " + BYTES + " /dev/urandom > " + in + "; jvm -jar " + System.getProperty("vchan.jar")
                + " cat " + args + " < " + in + " > " + out + "; echo \"r" + i + " exit $?\"; digest \"r" + i
                + " stdin\" " + in + "; digest \"r" + i + " stdout\" " + out + "; ";
    }

    @Test
    void publishingForADomainNotYetCreatedFailsFastInsteadOfTrappingIt() throws Exception {
        // XSA-322: XenStore ignores permissions for a domain created after the node. libxenvchan
        // publishes anyway and its client in the new domain gets EACCES for ever; we refuse, saying why.
        String out = scenario("XSA-322: a server published before its peer domain exists", Duration.ofMinutes(3), """
                # the next domain id: start a guest, note its id, destroy it
                next=$(( $(guest_start probe base 256 true) + 1 )) || exit 1
                guest_destroy probe
                echo "next domain $next"
                s=$(date +%%s%%N)
                jvm -jar %1$s cat -l $next early < /dev/null > /dev/null 2> /var/tmp/early.err
                echo "ours: exit $? after $(( ($(date +%%s%%N) - s) / 1000000 )) ms: $(cat /var/tmp/early.err)"
                # libxenvchan's server in dom0 publishes for it; then the domain is created and tries for 20 s
                %2$s/vchan-driver server --peer $next --path /local/domain/0/data/vchan/$next/trap --timeout-ms 60000 \\
                    > /var/tmp/trap.out 2>&1 &
                wait_key /local/domain/0/data/vchan/$next/trap/event-channel 30 >/dev/null || exit 1
                domid=$(guest_start late base 256 "vchan-driver client --peer 0 --path /local/domain/0/data/vchan/\\$XENVM_DOMID/trap --timeout-ms 20000") || exit 1
                echo "late guest is dom$domid"
                echo "guest: exit $(guest_wait late 60)"
                guest_console late | prefix guest
                guest_destroy late
                kill %%1 2>/dev/null
                """.formatted(System.getProperty("vchan.jar"), System.getProperty("test.bin")));
        String next = line(out, "next domain");
        String ours = line(out, "ours: exit");
        System.out.println("[xenvm] XSA-322, ours: exit " + ours);
        assertEquals(true, ours.startsWith("3 ") && ours.contains("XSA-322") && ours.contains("dom" + next),
                "our server must refuse at once, naming the rule\n" + out);
        assertEquals("dom" + next, line(out, "late guest is"), "the probe must predict the id\n" + out);
        assertEquals("2", line(out, "guest: exit"), "libxenvchan's client stays locked out\n" + out);
        assertEquals(true, line(out, "guest: vchan-driver").contains("Permission denied"), out);
    }

    @Test
    void aThirdGuestCanNeitherReadNorUseAChannelMeantForAnother() throws Exception {
        String out = scenario("isolation: a third guest and a channel published for another",
                Duration.ofMinutes(3), """
                # the intended guest waits, paused, until the server is there; the intruder tries first
                intended=$(guest_start meant base 256 "vchan-driver client --peer 0 --path /local/domain/0/data/vchan/\\$XENVM_DOMID/priv --send 4096 --expect 4096 --timeout-ms 60000") || exit 1
                xl pause meant
                jvm -Dvchan.driver.platform=xen -cp %s io.vchan.bridge.interop.JavaVchanDriver server \\
                    --peer $intended --path /local/domain/0/data/vchan/$intended/priv --send 4096 --expect 4096 \\
                    --seed 1 > /var/tmp/priv.out 2>&1 &
                wait_key /local/domain/0/data/vchan/$intended/priv/event-channel 60 >/dev/null || exit 1
                p=/local/domain/0/data/vchan/$intended/priv
                other=$(guest_start intruder base 256 "xenstore-read $p/ring-ref; echo read-exit \\$?; vchan-driver client --peer 0 --path $p --timeout-ms 5000; echo client-exit \\$?") || exit 1
                guest_wait intruder 60 >/dev/null || exit 1
                guest_console intruder | prefix intruder
                guest_destroy intruder
                xl unpause meant
                echo "meant: exit $(guest_wait meant 90)"
                wait
                sed 's/^/dom0: /' /var/tmp/priv.out
                guest_console meant | prefix meant
                guest_destroy meant
                """.formatted(driverClasspath()));
        assertEquals("1", line(out, "intruder: read-exit"), "the intruder must not read ring-ref\n" + out);
        assertEquals("2", line(out, "intruder: client-exit"), out);
        assertEquals(true, line(out, "intruder: vchan-driver").contains("Permission denied"), out);
        assertEquals("0", line(out, "meant: exit"), "the intended guest still connects\n" + out);
        assertEquals(line(out, "dom0: sent"), line(out, "meant: received"), out);
    }

    /** Where JavaVchanDriver, JNA and SLF4J (the bridge logs through it) are: this JVM's classpath may be a jar in a /tmp dom0 cannot see. */
    static String driverClasspath() {
        return String.join(":", codeSource(io.vchan.bridge.interop.JavaVchanDriver.class),
                codeSource(io.vchan.bridge.ring.VchanServer.class), codeSource(com.sun.jna.Native.class),
                codeSource(org.slf4j.LoggerFactory.class), codeSource(org.slf4j.simple.SimpleLogger.class));
    }
}
