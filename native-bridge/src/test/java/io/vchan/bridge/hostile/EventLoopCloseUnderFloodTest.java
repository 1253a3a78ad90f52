package io.vchan.bridge.hostile;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vchan.bridge.events.EventLoop;
import io.vchan.bridge.events.PortEvents;
import io.vchan.bridge.jna.JnaPlatform;
import io.vchan.bridge.ring.RingEndpoint;
import io.vchan.bridge.ring.VchanServer;
import io.vchan.bridge.testing.PeerProcess;
import io.vchan.bridge.testing.SimulatedHost;
import io.vchan.bridge.testing.TestEnvironment;
import io.vchan.bridge.xen.DomainId;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The event loop closes within a second while a peer floods a port whose
 * consumer rearms it at once, every time: the worker takes a bounded number
 * of events per poll and looks at its closed flag between them, instead of
 * draining a handle that a flood never lets drain.
 */
class EventLoopCloseUnderFloodTest {

    private static final DomainId OURS = DomainId.of(0);
    private static final DomainId FLOODER = DomainId.of(1);
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    @Test
    void theLoopClosesWithinASecondUnderAFlood() throws Exception {
        String prefix = "/local/domain/0/data/vchan/1/fl" + ProcessHandle.current().pid() % 100_000 + "-";
        EventLoop loop = EventLoop.start(JnaPlatform.xensim(), 1);
        try (SimulatedHost host = SimulatedHost.sharedWithThisJvm()) {
            RingEndpoint server = VchanServer.publish(loop.platform(), loop.channels(OURS), FLOODER, prefix + "0",
                    4096, 4096);
            AtomicLong turns = new AtomicLong();
            CompletableFuture<PortEvents> registered = new CompletableFuture<>();
            // the most eager consumer there is: it rearms from the loop's own thread at once
            registered.complete(loop.register(server.eventChannels(), server.port(), () -> {
                turns.incrementAndGet();
                registered.join().rearm(true);
            }));
            PeerProcess flooder = host.start("vchan-hostile-flood", FLOODER.value(), List.of(
                    TestEnvironment.testProgram("vchan-hostile").toString(), "--flood-ms", "30000", "--peer", "0",
                    "--path-prefix", prefix, "--timeout-ms", Long.toString(TIMEOUT.toMillis())), true, false,
                    Map.of());
            flooder.awaitLine("flooding", TIMEOUT);
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (turns.get() < 10_000) { // the flood has reached the loop
                assertTrue(System.nanoTime() < deadline, "the flood never reached the loop: " + turns);
                TimeUnit.MILLISECONDS.sleep(5);
            }

            long start = System.nanoTime();
            loop.close();
            long closeMs = (System.nanoTime() - start) / 1_000_000;
            server.close(); // the flooder sees our live byte drop and stops
            String report = flooder.awaitLine("flood notifications", TIMEOUT);
            flooder.assertSucceeds(TIMEOUT);
            System.out.println("event loop closed in " + closeMs + " ms under a flood (" + turns
                    + " consumer turns; flooder: " + report + ")");
            assertTrue(closeMs < 1000, "closing the loop took " + closeMs + " ms");
        } finally {
            loop.close();
        }
    }
}
