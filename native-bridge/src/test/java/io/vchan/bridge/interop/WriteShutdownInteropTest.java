package io.vchan.bridge.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vchan.bridge.testing.DriverReport;
import io.vchan.bridge.testing.PeerProcess;
import io.vchan.bridge.testing.SimulatedHost;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Extension E1 across processes: a Java peer that shuts down writing ends the
 * other Java peer's stream after the data, while the other direction goes on;
 * Debian's libxenvchan, which knows nothing of E1, carries on unaffected.
 */
class WriteShutdownInteropTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final long SHUT_AFTER = 4L << 20;
    private static final long OTHER_WAY = 8L << 20;

    @Test
    void aJavaReaderSeesEndOfStreamAfterTheDataAndKeepsWriting() throws Exception {
        String path = "/local/domain/0/data/vchan/1/e1-java";
        try (SimulatedHost host = new SimulatedHost()) {
            PeerProcess server = host.javaDriver(0, List.of("server", "--peer", "1", "--path", path,
                    "--send", Long.toString(SHUT_AFTER), "--shutdown-write",
                    "--expect", Long.toString(OTHER_WAY), "--wait-close"));
            // the client expects far more than will come: only end-of-stream can stop it
            PeerProcess client = host.javaDriver(1, List.of("client", "--peer", "0", "--path", path,
                    "--expect", Long.toString(1L << 40), "--send", Long.toString(OTHER_WAY)));

            server.awaitLine("write-shutdown", TIMEOUT);
            assertEquals(DriverReport.sent(server, TIMEOUT), DriverReport.received(client, TIMEOUT),
                    "the reader ended its stream exactly after what was sent");
            assertEquals(DriverReport.sent(client, TIMEOUT), DriverReport.received(server, TIMEOUT),
                    "the other direction went on after the shutdown");
            client.assertSucceeds(TIMEOUT);
            server.awaitLine("peer-closed", TIMEOUT);
            server.assertSucceeds(TIMEOUT);
        }
    }

    @Test
    void libxenvchanIgnoresTheShutdownBitAndCarriesOn() throws Exception {
        String path = "/local/domain/0/data/vchan/1/e1-c";
        try (SimulatedHost host = new SimulatedHost()) {
            PeerProcess server = host.javaDriver(0, List.of("server", "--peer", "1", "--path", path,
                    "--send", Long.toString(SHUT_AFTER), "--shutdown-write",
                    "--expect", Long.toString(OTHER_WAY), "--wait-close"));
            PeerProcess client = host.libxenvchanDriver(1, List.of("client", "--peer", "0", "--path", path,
                    "--expect", Long.toString(SHUT_AFTER), "--send", Long.toString(OTHER_WAY)));

            server.awaitLine("write-shutdown", TIMEOUT);
            assertEquals(DriverReport.sent(server, TIMEOUT), DriverReport.received(client, TIMEOUT));
            assertEquals(DriverReport.sent(client, TIMEOUT), DriverReport.received(server, TIMEOUT),
                    "libxenvchan kept writing after our shutdown");
            client.assertSucceeds(TIMEOUT);
            server.awaitLine("peer-closed", TIMEOUT);
            server.assertSucceeds(TIMEOUT);
        }
    }
}
