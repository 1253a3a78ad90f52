package io.vchan.connector;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vchan.bridge.testing.SettledHeap;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

/**
 * A peer that notifies in a tight loop, against our echo server flow, beside
 * healthy channels on the same event loop: its events coalesce into few
 * wake-ups of our stage, the heap stays flat, the healthy channels keep at
 * least half their rate, closing the flooded channel takes under a second,
 * and the flooded channel itself still echoes the flooder's data intact.
 * Each platform brings its flooder.
 */
abstract class NotificationFloodContract extends VchanTestSupport {

    static final DomainId FLOODER = DomainId.of(2);
    /** Flood on and off in turns: a pair's two windows see the same machine, whatever else it does. */
    private static final int PAIRS = 5;
    private static final Duration WINDOW = Duration.ofMillis(500);

    /** A peer at {@code path} that notifies without cause and echo-checks a counting pattern. */
    interface Flooder extends AutoCloseable {
        /** Returns once it is connected and flooding. */
        void awaitFlooding() throws Exception;

        void suspend() throws Exception;

        void resume() throws Exception;

        /** Once our side closed: its notifications sent and bytes echoed intact (it checked each). */
        long[] report() throws Exception;
    }

    abstract Flooder startFlooder(String path) throws Exception;

    @Test
    void aFloodingPeerCostsOnlyItsOwnChannel() throws Exception {
        try (HealthyEchoes healthy = HealthyEchoes.start(vchan, mat, serverSettings(), clientSettings(), 4)) {
            healthy.rateOver(Duration.ofSeconds(1)); // warm up
            long heapBefore = SettledHeap.usedBytes();

            VchanPort port = VchanPort.of(freshPort().name() + "f0"); // the flooder's round 0: prefix + "0"
            Pair<CompletionStage<VchanConnection>, UniqueKillSwitch> victim = vchan
                    .server(FLOODER, port, serverSettings())
                    .joinMat(Flow.<ByteString>create().viaMat(KillSwitches.single(), Keep.right()), Keep.both())
                    .run(mat);
            try (Flooder flooder = startFlooder(port.path(SERVER, FLOODER))) {
                flooder.awaitFlooding();
                VchanConnection conn = await(victim.first());
                measure(healthy, flooder, conn, victim.second(), heapBefore);
            }
        }
    }

    private void measure(HealthyEchoes healthy, Flooder flooder, VchanConnection conn, UniqueKillSwitch victim,
            long heapBefore) throws Exception {
        double[] off = new double[PAIRS];
        double[] on = new double[PAIRS];
        double[] ratios = new double[PAIRS];
        double[] loopOff = new double[PAIRS];
        double[] loopOn = new double[PAIRS];
        LoopCpu loopCpu = new LoopCpu();
        long floodStart = System.nanoTime();
        healthy.rateOver(WINDOW); // the flooder warms up (its JIT, in the JVM's)
        for (int i = 0; i < PAIRS; i++) {
            flooder.suspend();
            loopCpu.mark();
            off[i] = healthy.rateOver(WINDOW);
            loopOff[i] = loopCpu.share();
            flooder.resume();
            loopCpu.mark();
            on[i] = healthy.rateOver(WINDOW);
            loopOn[i] = loopCpu.share();
            ratios[i] = on[i] / off[i];
        }
        long heapDuring = SettledHeap.usedBytes();
        long wakeUps = conn.notificationsIn();
        long closeStart = System.nanoTime();
        victim.abort(new RuntimeException("closing the flooded channel"));
        awaitEnd(conn.whenClosed());
        long closeMs = (System.nanoTime() - closeStart) / 1_000_000;
        long floodMs = (closeStart - floodStart) / 1_000_000;

        long[] report = flooder.report(); // every byte it got back was the byte it sent
        long notifications = report[0];
        long echoed = report[1];
        double ratio = median(ratios);
        System.out.printf("flood: %d notifications over %d ms (half of it suspended) -> %d wake-ups of our"
                + " stage; %d bytes echoed intact; heap after GC %d KiB before, %d KiB during; healthy round"
                + " trips/s without / with the flood, median of %d pairs: %.0f / %.0f (ratio %.2f);"
                + " event-loop thread busy %.0f%% / %.0f%%; flooded channel closed in %d ms%n", notifications,
                floodMs, wakeUps, echoed, heapBefore >> 10, heapDuring >> 10, PAIRS, median(off), median(on),
                ratio, 100 * median(loopOff), 100 * median(loopOn), closeMs);
        assertTrue(echoed > 0, "the flooded channel echoed nothing");
        assertTrue(wakeUps * 100 < notifications,
                wakeUps + " wake-ups for " + notifications + " notifications: events do not coalesce");
        assertTrue(heapDuring - heapBefore < 32 << 20,
                "the heap grew by " + ((heapDuring - heapBefore) >> 20) + " MiB during the flood");
        assertTrue(ratio >= 0.5, "healthy channels slowed to " + ratio + " of their rate under the flood: "
                + Arrays.toString(ratios));
        assertTrue(closeMs < 1000, "closing the flooded channel took " + closeMs + " ms");
        healthy.assertIntact();
    }

    /** The CPU time of the event loop's one thread, as a share of wall time since {@link #mark}. */
    private static final class LoopCpu {
        private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        private final long id = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("vchan-events")).findFirst().orElseThrow().getId();
        private long cpu;
        private long wall;

        void mark() {
            cpu = threads.getThreadCpuTime(id);
            wall = System.nanoTime();
        }

        double share() {
            return (threads.getThreadCpuTime(id) - cpu) / (double) (System.nanoTime() - wall);
        }
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    /** Waits for {@code stage} to end, well or not: the channel closed with the abort's cause. */
    private static void awaitEnd(CompletionStage<?> stage) throws Exception {
        try {
            await(stage);
        } catch (ExecutionException closedWithTheCause) {
            // closed all the same
        }
    }
}
