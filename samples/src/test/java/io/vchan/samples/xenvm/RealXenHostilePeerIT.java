package io.vchan.samples.xenvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * On real Xen: a hostile guest (vchan-hostile, Xen library calls only) that
 * corrupts the shared page while data flows, against our Java end in dom0,
 * both roles, 10,000 mutations each way ({@code -Dvchan.xen.mutations}); a
 * second guest's libxenvchan channel to the same dom0 JVM echoes its data
 * meanwhile. Every attacked channel ends with end of stream, our protocol
 * error or a close, no JVM crashes (the suite checks for hs_err files), and
 * the healthy channel's bytes come back intact.
 */
class RealXenHostilePeerIT extends RealXenSuite {

    private static final long MUTATIONS = Long.getLong("vchan.xen.mutations", 10_000);
    /** At TCG's pace (about 1 MB/s), enough to echo through most of an attack. */
    private static final int HEALTHY_BYTES = 32 << 20;
    private static final Pattern REPORT = Pattern.compile(
            "rounds=(\\d+) caught=(\\d+) done mutations=(\\d+) rounds=(\\d+) shrinks=(\\d+) refused=(\\d+)");

    @Test
    void aHostileClientGuestOnlyBreaksItsOwnChannelsToOurServer() throws Exception {
        attack("hostile client guest -> java server dom0", false, "server",
                "/local/domain/0/data/vchan/$XENVM_DOMID/hr-", "/local/domain/0/data/vchan/$hostile/hr-");
    }

    @Test
    void ourClientSurvivesAHostileServerGuest() throws Exception {
        attack("java client dom0 -> hostile server guest", true, "client",
                "/local/domain/$XENVM_DOMID/data/vchan/0/hs-", "/local/domain/$hostile/data/vchan/0/hs-");
    }

    /**
     * One hostile guest doing {@link #MUTATIONS} in its role against {@code HostileRounds} in dom0, which
     * also echoes a second guest's libxenvchan client on another channel.
     */
    private void attack(String name, boolean hostileServes, String ourRole, String guestPrefix, String dom0Prefix)
            throws Exception {
        long seed = Long.getLong("vchan.fuzz.seed", System.nanoTime() & 0xffff_ffffL);
        String hostileJob = "vchan-hostile " + (hostileServes ? "--server " : "") + "--peer 0 --path-prefix "
                + guestPrefix + " --mutations " + MUTATIONS + " --seed " + seed
                + " --done-key /local/domain/$XENVM_DOMID/data/hostile-done --timeout-ms 240000";
        String healthyJob = "vchan-driver client --peer 0 --path /local/domain/0/data/vchan/$XENVM_DOMID/healthy"
                + " --send " + HEALTHY_BYTES + " --expect " + HEALTHY_BYTES + " --seed 7 --timeout-ms 240000";
        String out = scenario(name + ", " + MUTATIONS + " mutations, seed " + seed, Duration.ofMinutes(10), """
                hostile=$(guest_start hostile base 256 '%1$s') || exit 1
                healthy=$(guest_start healthy base 256 '%2$s') || exit 1
                jvm -Dvchan.driver.platform=xen -cp %3$s io.vchan.bridge.hostile.HostileRounds %4$s \\
                    --peer $hostile --path-prefix %5$s --done-key /local/domain/$hostile/data/hostile-done \\
                    --seed %6$d --healthy-peer $healthy --healthy-path /local/domain/0/data/vchan/$healthy/healthy \\
                    > /var/tmp/hostile-rounds.out 2>&1
                echo "dom0: exit $?"
                prefix dom0 < /var/tmp/hostile-rounds.out
                echo "hostile: exit $(guest_wait hostile 300)"
                guest_console hostile | prefix hostile
                echo "healthy: exit $(guest_wait healthy 300)"
                guest_console healthy | prefix healthy
                guest_destroy hostile
                guest_destroy healthy
                """.formatted(hostileJob, healthyJob, classpath(), ourRole, dom0Prefix, seed));
        assertEquals("0", line(out, "dom0: exit"), out);
        assertEquals("0", line(out, "hostile: exit"), out);
        assertEquals("0", line(out, "healthy: exit"), out);
        Matcher report = REPORT.matcher("rounds=" + line(out, "dom0: rounds="));
        assertTrue(report.matches(), out);
        long done = Long.parseLong(report.group(3));
        long caught = Long.parseLong(report.group(2));
        System.out.printf("[xenvm] %s: seed %d, %d mutations over %s channels, %d caught as protocol errors;"
                + " %s shrinks tried, %s refused; healthy channel echoed %s bytes in %s ms%n", name, seed, done,
                report.group(4), caught, report.group(5), report.group(6), line(out, "dom0: healthy echoed="),
                line(out, "healthy: elapsed_ms="));
        assertTrue(done >= MUTATIONS, out);
        assertTrue(caught > 0, "no corruption was ever detected on Xen\n" + out);
        assertEquals(line(out, "healthy: sent"), line(out, "healthy: received"), "the healthy echo\n" + out);
        assertEquals(Integer.toString(HEALTHY_BYTES), line(out, "dom0: healthy echoed="), out);
    }

    /** HostileRounds and what it needs: the bridge and its tests' classes, JNA, SLF4J, JUnit's assertions. */
    private static String classpath() {
        return String.join(":", RealXenLibxenvchanIT.driverClasspath(),
                codeSource(org.junit.jupiter.api.Assertions.class),
                codeSource(org.opentest4j.AssertionFailedError.class));
    }
}
