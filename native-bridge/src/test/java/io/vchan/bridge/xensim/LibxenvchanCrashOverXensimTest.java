package io.vchan.bridge.xensim;

import static org.junit.jupiter.api.Assertions.assertTrue;

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

    @ParameterizedTest(name = "the {0} is killed")
    @ValueSource(strings = {"client", "server"})
    void survivorSeesTheKilledPeerClosedQuickly(String victimRole) throws Exception {
        String path = "/local/domain/0/data/vchan/1/crash-" + victimRole;
        try (SimulatedHost host = new SimulatedHost()) {
            // the survivor waits for data that never comes, then for close
            List<String> survivorArgs = List.of("--expect", "0", "--wait-close");
            List<String> victimArgs = List.of("--expect", "1");
            PeerProcess server = host.libxenvchanDriver(0, concat(List.of("server", "--peer", "1", "--path", path),
                    victimRole.equals("server") ? victimArgs : survivorArgs));
            PeerProcess client = host.libxenvchanDriver(1, concat(List.of("client", "--peer", "0", "--path", path),
                    victimRole.equals("client") ? victimArgs : survivorArgs));
            server.awaitLine("ready", TIMEOUT);
            client.awaitLine("ready", TIMEOUT);
            PeerProcess victim = victimRole.equals("server") ? server : client;
            PeerProcess survivor = victimRole.equals("server") ? client : server;
            survivor.awaitLine("elapsed_ms", TIMEOUT);

            long killed = System.nanoTime();
            victim.kill();
            survivor.awaitLine("peer-closed", TIMEOUT);
            long detectedMs = (System.nanoTime() - killed) / 1_000_000;

            survivor.assertSucceeds(TIMEOUT);
            assertTrue(detectedMs < LIMIT_MS, "close seen after " + detectedMs + " ms, limit " + LIMIT_MS);
        }
    }

    private static List<String> concat(List<String> a, List<String> b) {
        return java.util.stream.Stream.concat(a.stream(), b.stream()).toList();
    }
}
