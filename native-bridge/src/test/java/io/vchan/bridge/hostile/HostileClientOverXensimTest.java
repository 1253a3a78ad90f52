package io.vchan.bridge.hostile;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.vchan.bridge.BlockingVchan;
import io.vchan.bridge.events.EventLoop;
import io.vchan.bridge.jna.JnaPlatform;
import io.vchan.bridge.testing.PeerProcess;
import io.vchan.bridge.testing.SimulatedHost;
import io.vchan.bridge.testing.TestEnvironment;
import io.vchan.bridge.xen.DomainId;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Our server against a hostile C client (vchan-hostile, bare Xen library
 * calls) that corrupts the shared page while data flows both ways: every
 * channel it attacks ends with end of stream, a protocol error or a close,
 * never another exception or a hang, and 50 healthy channels on the same
 * event loop keep echoing intact data throughout.
 */
class HostileClientOverXensimTest {

    private static final DomainId SERVER = DomainId.of(0);
    private static final DomainId HOSTILE = DomainId.of(1);
    private static final DomainId BYSTANDER = DomainId.of(2);
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final Duration OP_TIMEOUT = Duration.ofSeconds(10);
    private static final Pattern DONE = Pattern.compile("done mutations=(\\d+) rounds=(\\d+)");
    /** (read, write) ring sizes per round: in-page orders 10/11 and granted 12/13. */
    private static final int[][] SIZES = {{1024, 2048}, {2048, 1024}, {4096, 4096}, {8192, 2048}, {2048, 8192}};

    @Test
    void aHostileClientOnlyEverBreaksItsOwnChannel() throws Exception {
        long mutations = FuzzBudget.totalMutations() / 2;
        long seed = FuzzBudget.seed(0x5eed_c0deL);
        String prefix = "/local/domain/0/data/vchan/1/h" + ProcessHandle.current().pid() % 100_000 + "-";
        JnaPlatform platform = JnaPlatform.xensim();
        ExecutorService executor = Executors.newCachedThreadPool();
        try (EventLoop loop = EventLoop.start(platform, 1);
                SimulatedHost host = SimulatedHost.sharedWithThisJvm();
                HealthyChannels healthy = new HealthyChannels(loop, SERVER, BYSTANDER,
                        "/local/domain/0/data/vchan/2/healthy-" + ProcessHandle.current().pid() + "-", 50)) {
            PeerProcess hostile = host.start("vchan-hostile", HOSTILE.value(), List.of(
                    TestEnvironment.testProgram("vchan-hostile").toString(), "--peer", "0", "--path-prefix", prefix,
                    "--mutations", Long.toString(mutations),
                    "--seed", Long.toString(seed)), true, false, java.util.Map.of());
            System.out.println("vchan-hostile " + hostile.awaitLine("seed", TIMEOUT) + " (replay: -Dvchan.fuzz.seed)");
            long[] before = healthy.roundTrips();
            long start = System.nanoTime();
            int caught = 0;
            // one channel after another, until the hostile client has done its mutations
            for (long r = 0; ; r++) {
                int[] size = SIZES[(int) (r % SIZES.length)];
                try (BlockingVchan server = BlockingVchan.serve(loop, SERVER, HOSTILE, prefix + r, size[0], size[1])) {
                    if (!awaitPeerOrDone(server, hostile)) {
                        break;
                    }
                    VictimTraffic traffic = new VictimTraffic(server, executor, seed + r, OP_TIMEOUT);
                    if (traffic.awaitAcceptableEnd(TIMEOUT, "round " + r + " (seed " + seed + ")")) {
                        caught++;
                    }
                }
            }
            Matcher done = DONE.matcher(hostile.awaitLine("done", TIMEOUT));
            assertTrue(done.matches());
            hostile.assertSucceeds(TIMEOUT);
            System.out.printf("vchan-hostile: %s mutations over %s channels in %d ms, %d caught as protocol errors%n",
                    done.group(1), done.group(2), (System.nanoTime() - start) / 1_000_000, caught);
            healthy.assertEveryPairProgressedSince(before);
            assertTrue(caught > 0, "no corruption was ever detected: the fuzzer is not reaching the checks");
        } finally {
            executor.shutdownNow();
        }
    }

    /** True once the client connected; false if instead it finished its work and said "done". */
    private static boolean awaitPeerOrDone(BlockingVchan server, PeerProcess hostile) throws Exception {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!server.awaitPeer(Duration.ofMillis(50))) {
            if (hostile.lines().stream().anyMatch(l -> l.startsWith("done"))) {
                return false;
            }
            if (System.nanoTime() > deadline) {
                fail("the hostile client never connected to " + server.endpoint().path() + ": " + hostile.describe());
            }
        }
        return true;
    }
}
