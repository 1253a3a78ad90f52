package io.vchan.bridge.xensim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vchan.bridge.testing.DriverReport;
import io.vchan.bridge.testing.PeerProcess;
import io.vchan.bridge.testing.SimulatedHost;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A vchan published for one domain is invisible to every other: libxenvchan
 * in a third domain can neither read the server's XenStore keys nor map its
 * grants, while the intended client still connects.
 */
class DomainIsolationOverXensimTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @Test
    void aThirdDomainCannotConnectToAServerPublishedForAnother() throws Exception {
        String path = "/local/domain/0/data/vchan/1/private";
        try (SimulatedHost host = new SimulatedHost()) {
            PeerProcess server = host.libxenvchanDriver(0, List.of("server", "--peer", "1", "--path", path,
                    "--expect", "5", "--wait-close"));
            PeerProcess intruder = host.libxenvchanDriver(2, List.of("client", "--peer", "0", "--path", path,
                    "--send", "5", "--timeout-ms", "500"));

            int status = intruder.awaitExit(TIMEOUT);
            assertNotEquals(0, status, "dom2 connected to a vchan meant for dom1: " + intruder.describe());
            assertTrue(intruder.stderrText().contains("libxenvchan_client_init"), intruder.describe());

            PeerProcess client = host.libxenvchanDriver(1, List.of("client", "--peer", "0", "--path", path,
                    "--send", "5"));
            client.assertSucceeds(TIMEOUT);
            assertEquals(5, DriverReport.received(server, TIMEOUT).bytes());
            server.assertSucceeds(TIMEOUT);
        }
    }
}
