package io.vchan.bridge.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vchan.bridge.BlockingVchan;
import io.vchan.bridge.ring.RingEndpoint;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A peer that notifies in a tight loop and sends nothing must not keep a
 * blocking call past its deadline (issue: any event used to end a wait before
 * the deadline was looked at), and a read into a full buffer must not look
 * again for ever.
 */
class BlockingDeadlinesUnderFloodTest {

    private static final Duration TIMEOUT = InJvmPair.TIMEOUT;
    private static final Duration DEADLINE = Duration.ofMillis(300);
    /** The flood outlasts the deadline by far: a wait that ends with it ends late. */
    private static final long FLOOD_NANOS = Duration.ofSeconds(6).toNanos();

    private InJvmPair pair;
    private BlockingVchan server;
    private BlockingVchan client;

    @BeforeEach
    void connect() throws Exception {
        pair = new InJvmPair("flood", 4096, 4096);
        server = pair.server;
        client = pair.client;
    }

    @AfterEach
    void close() {
        pair.close();
    }

    /** The hostile client: notifies the server's port as fast as it can, writing nothing. */
    private Thread flood(AtomicBoolean stop, AtomicLong sent) {
        RingEndpoint ep = client.endpoint();
        Thread t = new Thread(() -> {
            long end = System.nanoTime() + FLOOD_NANOS;
            while (!stop.get() && System.nanoTime() - end < 0) {
                try {
                    ep.eventChannels().notify(ep.port());
                    sent.incrementAndGet();
                } catch (IOException e) {
                    return;
                }
            }
        }, "flooding-peer");
        t.start();
        return t;
    }

    private void underFlood(ThrowingRunnable call) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong sent = new AtomicLong();
        Thread flooder = flood(stop, sent);
        try {
            long start = System.nanoTime();
            call.run();
            long tookMs = (System.nanoTime() - start) / 1_000_000;
            assertTrue(tookMs < DEADLINE.toMillis() + 1500,
                    "a " + DEADLINE.toMillis() + " ms deadline held " + tookMs + " ms under " + sent.get()
                            + " notifications");
            assertTrue(sent.get() > 100, "the peer flooded: " + sent.get());
        } finally {
            stop.set(true);
            flooder.join();
        }
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    @Test
    void aReadTimesOutOnTimeUnderAFlood() throws Exception {
        underFlood(() -> {
            IOException e = assertThrows(IOException.class, () -> server.read(ByteBuffer.allocate(16), DEADLINE));
            assertTrue(e.getMessage().contains("within 300 ms"), e.getMessage());
        });
    }

    @Test
    void awaitingAPeerCloseTimesOutOnTimeUnderAFlood() throws Exception {
        underFlood(() -> assertEquals(false, server.awaitPeerClosed(DEADLINE)));
    }

    @Test
    void aWriteIntoAFullRingTimesOutOnTimeUnderAFlood() throws Exception {
        server.writeFully(ByteBuffer.allocate(4096), TIMEOUT); // the client reads nothing: the ring is full
        underFlood(() -> assertThrows(IOException.class,
                () -> server.writeFully(ByteBuffer.allocate(1), DEADLINE)));
    }

    @Test
    void aReadIntoAFullBufferWithDataReadyReturnsAtOnce() throws Exception {
        client.writeFully(ByteBuffer.wrap(new byte[] {1, 2, 3}), TIMEOUT);
        ByteBuffer full = ByteBuffer.allocate(0);
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> assertEquals(0, server.read(full, DEADLINE)));
    }
}
