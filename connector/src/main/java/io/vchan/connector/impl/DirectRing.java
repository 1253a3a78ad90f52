package io.vchan.connector.impl;

import io.vchan.bridge.ring.RingEndpoint;
import io.vchan.bridge.ring.VchanClosedException;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.apache.pekko.util.ByteString;

/**
 * The stage's own ring copies, for the common case: data already in the ring,
 * or space already free, needs no round trip to the endpoint actor. Anything
 * else — an empty or full ring, end of stream, a closed channel — is left to
 * the actor, which waits, and ends the stream the one documented way.
 *
 * <p>The endpoint allows one reader and one writer at a time. Per direction
 * the stage copies only while nothing of that direction is with the actor, and
 * the messages between them order their copies.
 */
final class DirectRing {

    private final RingEndpoint endpoint;
    private final ConnectionCounters counters;
    private final int chunkSize;

    DirectRing(RingEndpoint endpoint, ConnectionCounters counters, int chunkSize) {
        this.endpoint = endpoint;
        this.counters = counters;
        this.chunkSize = chunkSize;
    }

    /**
     * A fresh chunk of what is ready now, or null if nothing is or the channel
     * is closed (the actor then reports what happened).
     *
     * @throws IOException a corrupt ring or a failed notification: the stream fails with it
     */
    ByteString read() throws IOException {
        try {
            int ready = endpoint.dataReady();
            if (ready <= 0) {
                return null;
            }
            byte[] chunk = new byte[Math.min(ready, chunkSize)];
            int n = endpoint.read(ByteBuffer.wrap(chunk));
            if (n <= 0) {
                return null;
            }
            ConnectionCounters.add(counters.bytesIn, n);
            return ByteString.fromArrayUnsafe(chunk, 0, n);
        } catch (VchanClosedException e) {
            return null;
        }
    }

    /**
     * Copies as much of {@code data} as fits now; returns the count. Stops at a
     * full ring, or a closed or shut-down channel, where the actor takes over.
     *
     * @throws IOException a corrupt ring or a failed notification: the stream fails with it
     */
    int write(ByteString data) throws IOException {
        int total = 0;
        try {
            for (ByteBuffer b : data.getByteBuffers()) {
                while (b.hasRemaining()) {
                    int n = endpoint.write(b);
                    if (n == 0) {
                        return total;
                    }
                    total += n;
                }
            }
            return total;
        } catch (VchanClosedException e) {
            return total;
        } finally {
            if (total > 0) {
                ConnectionCounters.add(counters.bytesOut, total);
                ConnectionCounters.add(counters.ringWrites, 1);
            }
        }
    }

    /** Events we sent the peer so far, for the counters. */
    void publishNotifications() {
        counters.notificationsOut.lazySet(endpoint.notificationsSent());
    }
}
