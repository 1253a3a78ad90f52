package io.vchan.connector.impl;

import io.vchan.bridge.ring.RingEndpoint;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.annotation.InternalApi;

/**
 * INTERNAL API: live counters of one connection, written by one thread at a time (the actor or the stage, in
 * turns), read by anyone.
 */
@InternalApi
public final class ConnectionCounters {

    final AtomicLong bytesIn = new AtomicLong();
    final AtomicLong bytesOut = new AtomicLong();
    final AtomicLong notificationsIn = new AtomicLong();
    final AtomicLong ringFullWaits = new AtomicLong();
    final AtomicLong ringWrites = new AtomicLong();

    public long bytesIn() {
        return bytesIn.get();
    }

    public long bytesOut() {
        return bytesOut.get();
    }

    /** Bytes in and out together: whether a turn moved any. */
    long bytesMoved() {
        return bytesIn.get() + bytesOut.get();
    }

    /** Events received on the connection's port. */
    public long notificationsIn() {
        return notificationsIn.get();
    }

    /** Events sent to the peer because it asked to be woken. */
    public long notificationsOut() {
        RingEndpoint e = endpoint;
        return e == null ? 0 : e.notificationsSent();
    }

    /** The endpoint counts the events it sends itself; we read them from it. */
    void attach(RingEndpoint e) {
        endpoint = e;
    }

    /** Times a write found the ring full and had to wait for the peer to read. */
    public long ringFullWaits() {
        return ringFullWaits.get();
    }

    /** Writes into the ring completed: with writev batching, one per batch, not one per stream element. */
    public long ringWrites() {
        return ringWrites.get();
    }

    private volatile RingEndpoint endpoint;

    static void add(AtomicLong counter, long n) {
        counter.lazySet(counter.get() + n);
    }
}
