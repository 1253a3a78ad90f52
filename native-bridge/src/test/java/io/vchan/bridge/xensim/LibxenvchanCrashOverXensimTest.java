package io.vchan.bridge.xensim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vchan.bridge.testing.DriverReport;
import io.vchan.bridge.testing.PeerProcess;
import io.vchan.bridge.testing.SimulatedHost;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A SIGKILLed libxenvchan peer is seen as closed by the other end within
 * 100 ms: xensim runs the dead process's unmap notifications, which clear
 * its live byte and signal the port, exactly as Xen's gntdev does.
 */
class LibxenvchanCrashOverXensimTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final long LIMIT_MS = 100;

    @ParameterizedTest(name = "the {0} is killed mid-transfer")
    @ValueSource(strings = {"client", "server"})
    void survivorSeesTheKilledPeerClosedQuickly(String victimRole) throws Exception {
        String path = "/local/domain/0/data/vchan/1/crash-" + victimRole;
        try (SimulatedHost host = new SimulatedHost()) {
            // the victim streams without end; the survivor reads until the stream stops
            List<String> survivorArgs = List.of("--expect", Long.toString(1L << 50), "--wait-close",
                    "--no-verify", "--progress", "1000000");
            List<String> victimArgs = List.of("--send", Long.toString(1L << 50), "--no-verify");
            PeerProcess server = host.libxenvchanDriver(0, concat(List.of("server", "--peer", "1", "--path", path),
                    victimRole.equals("server") ? victimArgs : survivorArgs));
            PeerProcess client = host.libxenvchanDriver(1, concat(List.of("client", "--peer", "0", "--path", path),
                    victimRole.equals("client") ? victimArgs : survivorArgs));
            server.awaitLine("ready", TIMEOUT);
            client.awaitLine("ready", TIMEOUT);
            PeerProcess victim = victimRole.equals("server") ? server : client;
            PeerProcess survivor = victimRole.equals("server") ? client : server;
            survivor.awaitLine("progress", TIMEOUT);

            long killed = System.nanoTime();
            victim.kill();
            survivor.awaitLine("peer-closed", TIMEOUT);
            long detectedMs = (System.nanoTime() - killed) / 1_000_000;

            assertEquals(1, survivor.awaitExit(TIMEOUT), "the survivor reports a stream cut short");
            long received = DriverReport.received(survivor, TIMEOUT).bytes();
            assertTrue(received >= 1_000_000, "the transfer was under way when the peer was killed");
            System.out.printf("libxenvchan %s saw the killed %s closed after %d ms (%d bytes received)%n",
                    survivorRole(victimRole), victimRole, detectedMs, received);
            assertTrue(detectedMs < LIMIT_MS, "close seen after " + detectedMs + " ms, limit " + LIMIT_MS);
        }
    }

    private static String survivorRole(String victimRole) {
        return victimRole.equals("server") ? "client" : "server";
    }

    private static List<String> concat(List<String> a, List<String> b) {
        return java.util.stream.Stream.concat(a.stream(), b.stream()).toList();
    }
}
