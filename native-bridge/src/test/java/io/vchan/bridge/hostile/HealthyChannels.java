package io.vchan.bridge.hostile;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vchan.bridge.BlockingVchan;
import io.vchan.bridge.events.EventLoop;
import io.vchan.bridge.xen.DomainId;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Bystanders: pairs of channels on the same event loop as the victim, each
 * echoing seeded data (client → server → client, checked byte for byte).
 * Proves that an attack on one channel leaves the others running and intact;
 * {@link AttackWindow} measures how fast they run.
 */
final class HealthyChannels implements AutoCloseable {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final int RING = 4096;

    private final List<BlockingVchan[]> pairs = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicLongArray roundTrips;
    private final ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
    private volatile boolean stopping;

    HealthyChannels(EventLoop loop, DomainId server, DomainId client, String pathPrefix, int count)
            throws IOException {
        roundTrips = new AtomicLongArray(count);
        for (int i = 0; i < count; i++) {
            String path = pathPrefix + i;
            BlockingVchan s = BlockingVchan.serve(loop, server, client, path, RING, RING);
            BlockingVchan c = BlockingVchan.connect(loop, client, server, path, TIMEOUT);
            pairs.add(new BlockingVchan[] {s, c});
        }
        // One thread takes the pairs in turn: all keep moving while the attack runs,
        // without 50 busy threads starving the attacked channel on a small CI machine.
        Thread t = new Thread(this::echoAll, "healthy-channels");
        t.setDaemon(true);
        threads.add(t);
        t.start();
    }

    private void echoAll() {
        SplittableRandom random = new SplittableRandom(42);
        try {
            while (!stopping) {
                for (int i = 0; i < pairs.size(); i++) {
                    echoOnce(i, random);
                }
                wakeWaiters();
            }
        } catch (Throwable t) {
            failures.add(t);
            wakeWaiters();
        }
    }

    private synchronized void wakeWaiters() {
        notifyAll();
    }

    private void echoOnce(int index, SplittableRandom random) throws IOException {
        BlockingVchan server = pairs.get(index)[0];
        BlockingVchan client = pairs.get(index)[1];
        // at most one ring's worth: one thread can do both sides without deadlock
        byte[] sent = new byte[1 + random.nextInt(RING)];
        random.nextBytes(sent);
        client.writeFully(ByteBuffer.wrap(sent), TIMEOUT);
        byte[] echoed = readExactly(server, sent.length);
        server.writeFully(ByteBuffer.wrap(echoed), TIMEOUT);
        assertArrayEquals(sent, readExactly(client, sent.length), "healthy channel " + index + " corrupted");
        roundTrips.incrementAndGet(index);
    }

    private static byte[] readExactly(BlockingVchan v, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            if (v.read(b, TIMEOUT) < 0) {
                throw new IOException("healthy channel ended early");
            }
        }
        return b.array();
    }

    long[] roundTrips() {
        long[] r = new long[roundTrips.length()];
        for (int i = 0; i < r.length; i++) {
            r[i] = roundTrips.get(i);
        }
        return r;
    }

    static long sum(long[] counts) {
        long total = 0;
        for (long c : counts) {
            total += c;
        }
        return total;
    }

    /** Waits until all pairs together completed {@code count} more round trips than {@code since}. */
    synchronized long[] awaitMore(long[] since, long count) throws InterruptedException {
        long target = sum(since) + count;
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (true) {
            assertHealthy();
            long[] now = roundTrips();
            if (sum(now) >= target) {
                return now;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("healthy channels did not make " + count + " round trips in " + TIMEOUT);
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
    }

    /** Every pair completed round trips since {@code before}, and none failed; returns how many in all. */
    long assertEveryPairProgressedSince(long[] before) {
        assertHealthy();
        long[] now = roundTrips();
        for (int i = 0; i < now.length; i++) {
            assertTrue(now[i] > before[i], "healthy channel " + i + " made no progress during the attack");
        }
        return sum(now) - sum(before);
    }

    void assertHealthy() {
        Throwable first = failures.peek();
        if (first != null) {
            throw new AssertionError(failures.size() + " healthy channel(s) failed", first);
        }
    }

    @Override
    public void close() throws InterruptedException {
        stopping = true;
        for (Thread t : threads) {
            t.join(TIMEOUT.toMillis());
        }
        for (BlockingVchan[] p : pairs) {
            p[1].close();
            p[0].close();
        }
        assertHealthy();
    }
}
