package io.vchan.samples.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vchan.bridge.testing.PeerProcess;
import io.vchan.bridge.testing.SimulatedHost;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** {@code vchan demo}, the README's main job, as a person runs it. */
class DemoCommandIT {

    @Test
    void theDemoStreamsBothWaysAndTheChecksumsMatch() throws Exception {
        try (SimulatedHost host = new SimulatedHost()) {
            PeerProcess demo = VchanJar.start(host, 0, true, "demo", "--mib", "16");
            demo.assertSucceeds(Duration.ofSeconds(120));
            String summary = demo.awaitLine("checksums match", Duration.ofSeconds(1));
            assertTrue(summary.contains("32 MiB moved"), summary);
            demo.awaitLine("  server (dom0): connection VchanConnection(server dom0<->dom1", Duration.ofSeconds(1));
        }
    }
}
