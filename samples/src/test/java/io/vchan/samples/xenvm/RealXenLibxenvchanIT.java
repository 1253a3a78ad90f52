package io.vchan.samples.xenvm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

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

    @ParameterizedTest(name = "our server in dom0, libxenvchan client in a guest, rings {0}/{1} bytes")
    @CsvSource({"1024, 2048, 10, 11", "4096, 1048576, 12, 20", "1048576, 1048576, 20, 20"})
    void ourServerInDom0ServesLibxenvchanClientInGuest(int readSize, int writeSize, int left, int right)
            throws Exception {
        String out = scenario("java server dom0 <-> C client guest, " + readSize + "/" + writeSize,
                Duration.ofMinutes(3), """
                domid=$(guest_start cc base 256 "vchan-driver client --peer 0 --path /local/domain/0/data/vchan/\\$XENVM_DOMID/rx --send %1$d --expect %1$d --seed 2 --timeout-ms 90000") || exit 1
                jvm -Dvchan.driver.platform=xen -cp %2$s io.vchan.bridge.interop.JavaVchanDriver server \\
                    --peer $domid --path /local/domain/0/data/vchan/$domid/rx --read-size %3$d --write-size %4$d \\
                    --send %1$d --expect %1$d --seed 1 | prefix dom0
                echo "dom0: exit $?"
                echo "guest: exit $(guest_wait cc 90)"
                guest_console cc | prefix guest
                guest_destroy cc
                """.formatted(BYTES, driverClasspath(), readSize, writeSize));
        assertBothWays(out, left, right);
    }

    @ParameterizedTest(name = "libxenvchan server in a guest, our client in dom0, rings {0}/{1} bytes")
    @CsvSource({"1024, 2048, 10, 11", "4096, 1048576, 12, 20", "1048576, 1048576, 20, 20"})
    void libxenvchanServerInGuestServesOurClientInDom0(int readSize, int writeSize, int left, int right)
            throws Exception {
        String out = scenario("C server guest <-> java client dom0, " + readSize + "/" + writeSize,
                Duration.ofMinutes(3), """
                domid=$(guest_start cs base 256 "vchan-driver server --peer 0 --path /local/domain/\\$XENVM_DOMID/data/vchan/0/rx --read-size %3$d --write-size %4$d --send %1$d --expect %1$d --seed 2 --timeout-ms 90000") || exit 1
                jvm -Dvchan.driver.platform=xen -cp %2$s io.vchan.bridge.interop.JavaVchanDriver client \\
                    --peer $domid --path /local/domain/$domid/data/vchan/0/rx \\
                    --send %1$d --expect %1$d --seed 1 | prefix dom0
                echo "dom0: exit $?"
                echo "guest: exit $(guest_wait cs 90)"
                guest_console cs | prefix guest
                guest_destroy cs
                """.formatted(BYTES, driverClasspath(), readSize, writeSize));
        assertBothWays(out, left, right);
    }

    @Test
    void catServerInDom0DeliversEveryByteToLibxenvchanClient() throws Exception {
        String out = scenario("vchan cat -l dom0 <-> C client guest, every byte", Duration.ofMinutes(3), """
                head -c %1$d /dev/urandom > /var/tmp/cat-in
                domid=$(guest_start catc base 256 "vchan-driver client --peer 0 --path /local/domain/0/data/vchan/\\$XENVM_DOMID/cat --send %1$d --expect %1$d --seed 3 --timeout-ms 90000") || exit 1
                jvm -jar %2$s cat -l $domid cat < /var/tmp/cat-in > /var/tmp/cat-out
                echo "dom0: exit $?"
                echo "dom0: stdin $(stat -c %%s /var/tmp/cat-in) sha256=$(sha256sum < /var/tmp/cat-in | cut -d' ' -f1)"
                echo "dom0: stdout $(stat -c %%s /var/tmp/cat-out) sha256=$(sha256sum < /var/tmp/cat-out | cut -d' ' -f1)"
                echo "guest: exit $(guest_wait catc 90)"
                guest_console catc | prefix guest
                guest_destroy catc
                """.formatted(BYTES, System.getProperty("vchan.jar")));
        assertCatBytes(out);
    }

    @Test
    void catClientInDom0DeliversEveryByteToLibxenvchanServer() throws Exception {
        String out = scenario("vchan cat dom0 <-> C server guest, every byte", Duration.ofMinutes(3), """
                head -c %1$d /dev/urandom > /var/tmp/cat-in
                domid=$(guest_start cats base 256 "vchan-driver server --peer 0 --path /local/domain/\\$XENVM_DOMID/data/vchan/0/cat --send %1$d --expect %1$d --seed 3 --timeout-ms 90000") || exit 1
                jvm -jar %2$s cat --connect-timeout 60 $domid cat < /var/tmp/cat-in > /var/tmp/cat-out
                echo "dom0: exit $?"
                echo "dom0: stdin $(stat -c %%s /var/tmp/cat-in) sha256=$(sha256sum < /var/tmp/cat-in | cut -d' ' -f1)"
                echo "dom0: stdout $(stat -c %%s /var/tmp/cat-out) sha256=$(sha256sum < /var/tmp/cat-out | cut -d' ' -f1)"
                echo "guest: exit $(guest_wait cats 90)"
                guest_console cats | prefix guest
                guest_destroy cats
                """.formatted(BYTES, System.getProperty("vchan.jar")));
        assertCatBytes(out);
    }

    /** Each side received exactly what the other sent, and both agree on the ring orders. */
    private static void assertBothWays(String out, int left, int right) {
        assertEquals("0", line(out, "dom0: exit"), out);
        assertEquals("0", line(out, "guest: exit"), out);
        String orders = "left=" + left + " right=" + right;
        assertEquals(orders, line(out, "dom0: orders"), out);
        assertEquals(orders, line(out, "guest: orders"), out);
        assertEquals(line(out, "dom0: sent"), line(out, "guest: received"), "dom0 -> guest bytes\n" + out);
        assertEquals(line(out, "guest: sent"), line(out, "dom0: received"), "guest -> dom0 bytes\n" + out);
        assertEquals(true, line(out, "dom0: sent").startsWith(BYTES + " "), out);
    }

    /** What cat read from stdin arrived in the guest; what the guest sent is cat's stdout. */
    private static void assertCatBytes(String out) {
        assertEquals("0", line(out, "dom0: exit"), out);
        assertEquals("0", line(out, "guest: exit"), out);
        assertEquals(line(out, "dom0: stdin"), line(out, "guest: received"), "dom0 -> guest bytes\n" + out);
        assertEquals(line(out, "guest: sent"), line(out, "dom0: stdout"), "guest -> dom0 bytes\n" + out);
    }

    /** Where JavaVchanDriver and JNA are: this JVM's classpath may be a jar in a /tmp dom0 cannot see. */
    static String driverClasspath() throws URISyntaxException {
        return String.join(":", codeSource(io.vchan.bridge.interop.JavaVchanDriver.class),
                codeSource(io.vchan.bridge.ring.VchanServer.class), codeSource(com.sun.jna.Native.class));
    }

    private static String codeSource(Class<?> c) throws URISyntaxException {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    }
}
