package io.vchan.bridge.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vchan.bridge.BlockingVchan;
import io.vchan.bridge.events.EventLoop;
import io.vchan.bridge.jna.JnaPlatform;
import io.vchan.bridge.ring.VchanClosedException;
import io.vchan.bridge.testing.PeerProcess;
import io.vchan.bridge.testing.SimulatedHost;
import io.vchan.bridge.xen.DomainId;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The crash matrix: a libxenvchan peer (vchan-driver) SIGKILLed while our
 * endpoint, in this JVM, is idle, blocked reading, or blocked writing into a
 * full ring, in either role. Our side ends as documented (read: end of
 * stream; write: VchanClosedException; idle: peer seen closed) within 100 ms,
 * and once closed leaves the host's grants, mappings and ports as before.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PeerKilledInEachStateTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final long LIMIT_MS = 100;
    private static final DomainId US = DomainId.of(0);
    private static final DomainId VICTIM = DomainId.of(1);
    private static final AtomicLong WORST_MS = new AtomicLong();

    private JnaPlatform platform;
    private EventLoop loop;

    @BeforeAll
    void start() throws IOException {
        platform = JnaPlatform.xensim();
        loop = EventLoop.start(platform, 1);
        loop.channels(US);
    }

    @AfterAll
    void stop() {
        System.out.println("crash matrix: worst time to detect a killed peer " + WORST_MS.get() + " ms");
        loop.close();
    }

    @ParameterizedTest(name = "our {0}, peer killed while we are {1}")
    @CsvSource({"server,idle", "server,reading", "server,writing-full-ring", "client,idle", "client,reading",
        "client,writing-full-ring"})
    void aKilledPeerEndsOurSideQuicklyAndLeavesNothingBehind(String ourRole, String state) throws Exception {
        JnaPlatform.XensimStats baseline = platform.xensimStats();
        // short: libxenvchan's key buffer takes 49 characters
        boolean weServe = ourRole.equals("server");
        String path = (weServe ? "/local/domain/0/data/vchan/1/k" : "/local/domain/1/data/vchan/0/k")
                + ProcessHandle.current().pid() % 100_000 + ourRole.charAt(0) + state.charAt(0);
        // the victim connects and then does nothing: it neither reads nor writes until it dies
        List<String> passive = List.of("--peer", "0", "--path", path, "--wait-close", "--timeout-ms", "60000");
        try (SimulatedHost host = SimulatedHost.sharedWithThisJvm()) {
            BlockingVchan ours;
            PeerProcess victim;
            if (weServe) {
                ours = BlockingVchan.serve(loop, US, VICTIM, path, 4096, 4096);
                victim = host.libxenvchanDriver(VICTIM.value(), concat("client", passive));
                assertTrue(ours.awaitPeer(TIMEOUT), "the victim never connected: " + victim.describe());
            } else {
                victim = host.libxenvchanDriver(VICTIM.value(), concat("server",
                        List.of("--peer", "0", "--path", path, "--wait-close", "--timeout-ms", "60000")));
                ours = BlockingVchan.connect(loop, US, VICTIM, path, TIMEOUT);
            }
            try (ours) {
                victim.awaitLine("ready", TIMEOUT);
                CompletableFuture<Void> blocked = CompletableFuture.runAsync(() -> blockIn(ours, state));
                if (state.equals("writing-full-ring")) {
                    awaitFullRing(ours);
                }
                long killed = System.nanoTime();
                victim.kill();
                blocked.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                long detectedMs = (System.nanoTime() - killed) / 1_000_000;
                WORST_MS.accumulateAndGet(detectedMs, Math::max);
                System.out.printf("crash matrix: our %s %s: killed peer detected in %d ms%n", ourRole, state,
                        detectedMs);
                assertTrue(detectedMs < LIMIT_MS, "detected after " + detectedMs + " ms, limit " + LIMIT_MS);
            }
        }
        assertEventually(baseline);
    }

    /** Blocks as the state says; returns only if our side ended as documented. */
    private static void blockIn(BlockingVchan ours, String state) {
        try {
            switch (state) {
                case "idle" -> assertTrue(ours.awaitPeerClosed(TIMEOUT));
                case "reading" -> assertEquals(-1, ours.read(ByteBuffer.allocate(64), TIMEOUT), "end of stream");
                default -> assertThrows(VchanClosedException.class,
                        () -> ours.writeFully(ByteBuffer.allocate(1 << 20), TIMEOUT));
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static void awaitFullRing(BlockingVchan ours) throws IOException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (ours.endpoint().bufferSpace() > 0) {
            assertTrue(System.nanoTime() < deadline, "the ring never filled");
            Thread.onSpinWait();
        }
    }

    /** The dead process's resources are reclaimed by the daemon asynchronously: wait for it. */
    private void assertEventually(JnaPlatform.XensimStats baseline) throws IOException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        JnaPlatform.XensimStats now;
        while (!(now = platform.xensimStats()).equals(baseline) && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertEquals(baseline, now, "xensim resources after the crash and our close");
    }

    private static List<String> concat(String role, List<String> rest) {
        return java.util.stream.Stream.concat(java.util.stream.Stream.of(role), rest.stream()).toList();
    }
}
