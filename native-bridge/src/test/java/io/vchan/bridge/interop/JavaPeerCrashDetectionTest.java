package io.vchan.bridge.interop;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vchan.bridge.testing.PeerProcess;
import io.vchan.bridge.testing.SimulatedHost;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Our endpoint sees a SIGKILLed peer as closed within 100 ms, in either role,
 * whether the peer was libxenvchan or another JVM running our code.
 */
class JavaPeerCrashDetectionTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final long LIMIT_MS = 100;

    @ParameterizedTest(name = "Java {0} survives a killed {1} {2}")
    @CsvSource({"server,libxenvchan,client", "client,libxenvchan,server", "server,java,client",
        "client,java,server"})
    void killedPeerIsSeenClosedQuickly(String survivorRole, String victimKind, String victimRole)
            throws Exception {
        String path = "/local/domain/0/data/vchan/1/kill-" + survivorRole.charAt(0) + victimKind.charAt(0);
        boolean survivorServes = survivorRole.equals("server");
        List<String> survivorArgs = concat(role(survivorServes, path), List.of("--expect", "0", "--wait-close"));
        List<String> victimArgs = concat(role(!survivorServes, path), List.of("--expect", "1"));
        try (SimulatedHost host = new SimulatedHost()) {
            int survivorDomain = survivorServes ? 0 : 1;
            PeerProcess survivor = host.javaDriver(survivorDomain, survivorArgs);
            PeerProcess victim = victimKind.equals("java")
                    ? host.javaDriver(1 - survivorDomain, victimArgs)
                    : host.libxenvchanDriver(1 - survivorDomain, victimArgs);
            victim.awaitLine("ready", TIMEOUT);
            survivor.awaitLine("elapsed_ms", TIMEOUT);

            long killed = System.nanoTime();
            victim.kill();
            survivor.awaitLine("peer-closed", TIMEOUT);
            long detectedMs = (System.nanoTime() - killed) / 1_000_000;
            survivor.assertSucceeds(TIMEOUT);
            System.out.printf("Java %s saw the killed %s %s closed after %d ms%n", survivorRole, victimKind,
                    victimRole, detectedMs);
            assertTrue(detectedMs < LIMIT_MS, "close seen after " + detectedMs + " ms, limit " + LIMIT_MS);
        }
    }

    private static List<String> role(boolean server, String path) {
        return server ? List.of("server", "--peer", "1", "--path", path) : List.of("client", "--peer", "0", "--path", path);
    }

    private static List<String> concat(List<String> a, List<String> b) {
        return Stream.concat(a.stream(), b.stream()).toList();
    }
}
