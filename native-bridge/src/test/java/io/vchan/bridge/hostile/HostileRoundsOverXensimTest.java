package io.vchan.bridge.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vchan.bridge.testing.DriverReport;
import io.vchan.bridge.testing.PeerProcess;
import io.vchan.bridge.testing.SimulatedHost;
import io.vchan.bridge.testing.TestEnvironment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The programs of the real-Xen hostile scenario, on xensim: {@link HostileRounds}
 * and vchan-hostile, each a process of its own domain, both roles, with a
 * libxenvchan peer on the healthy channel; what fails on Xen can be replayed here.
 */
class HostileRoundsOverXensimTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @Test
    void hostileClientAgainstOurServer() throws Exception {
        run("server", "/local/domain/0/data/vchan/1/hr" + ProcessHandle.current().pid() % 100_000 + "-", false);
    }

    @Test
    void hostileServerAgainstOurClient() throws Exception {
        run("client", "/local/domain/1/data/vchan/0/hs" + ProcessHandle.current().pid() % 100_000 + "-", true);
    }

    private static void run(String ourRole, String prefix, boolean hostileServes) throws Exception {
        String doneKey = "/local/domain/1/data/hostile-done-" + ourRole;
        String healthyPath = "/local/domain/0/data/vchan/2/healthy-" + ourRole + ProcessHandle.current().pid();
        try (SimulatedHost host = new SimulatedHost()) {
            PeerProcess ours = host.javaProcess("hostile-rounds", 0, HostileRounds.class.getName(), List.of(ourRole,
                    "--peer", "1", "--path-prefix", prefix, "--done-key", doneKey, "--seed", "3",
                    "--healthy-peer", "2", "--healthy-path", healthyPath));
            ours.awaitLine("healthy echoing", TIMEOUT);
            PeerProcess healthy = host.libxenvchanDriver(2, List.of("client", "--peer", "0", "--path", healthyPath,
                    "--send", Integer.toString(1 << 20), "--expect", Integer.toString(1 << 20), "--seed", "7"));
            List<String> command = new ArrayList<>(List.of(
                    TestEnvironment.testProgram("vchan-hostile").toString(), "--peer", "0", "--path-prefix", prefix,
                    "--mutations", "2000", "--seed", "11", "--done-key", doneKey));
            if (hostileServes) {
                command.add("--server");
            }
            PeerProcess hostile = host.start("vchan-hostile", 1, command, true, false, Map.of());
            hostile.assertSucceeds(TIMEOUT);
            String report = ours.awaitLine("rounds=", TIMEOUT);
            assertEquals(0, ours.awaitExit(TIMEOUT), ours.describe());
            String echoed = ours.awaitLine("healthy echoed=", TIMEOUT);
            System.out.println("ours (" + ourRole + "): " + report + "; " + echoed);
            assertTrue(report.matches("rounds=\\d+ caught=[1-9]\\d* done mutations=\\d+ .*"), report);
            assertEquals("healthy echoed=" + (1 << 20), echoed);
            healthy.assertSucceeds(TIMEOUT);
            assertEquals(DriverReport.sent(healthy, TIMEOUT), DriverReport.received(healthy, TIMEOUT), "the healthy echo");
        }
    }
}
