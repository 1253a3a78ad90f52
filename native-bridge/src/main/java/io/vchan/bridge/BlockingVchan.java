package io.vchan.bridge;

import io.vchan.bridge.events.EventLoop;
import io.vchan.bridge.ring.Deadline;
import io.vchan.bridge.ring.VchanClient;
import io.vchan.bridge.ring.RingEndpoint;
import io.vchan.bridge.ring.VchanServer;
import io.vchan.bridge.xen.DomainId;
import io.vchan.bridge.xen.EventChannels;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A vchan endpoint with blocking calls, for programs and tests that want
 * threads rather than streams. Waits follow the no-lost-wakeup rule: arm the
 * peer's notification, look again, and only then sleep until the port fires.
 */
public final class BlockingVchan implements AutoCloseable {

    private final EventLoop loop;
    private final RingEndpoint endpoint;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition fired = lock.newCondition();
    private long events;

    private BlockingVchan(EventLoop loop, RingEndpoint endpoint) {
        this.loop = loop;
        this.endpoint = endpoint;
        try {
            loop.register(endpoint.eventChannels(), endpoint.port(), endpoint.peerDomain(), endpoint::peerDomainGone,
                    this::onEvent);
        } catch (RuntimeException e) {
            endpoint.close(); // the loop would not have it: nothing else holds the channel
            throw e;
        }
    }

    public static BlockingVchan serve(EventLoop loop, DomainId self, DomainId peer, String path, int readMin,
            int writeMin) throws IOException {
        EventChannels channels = loop.channels(self);
        return new BlockingVchan(loop, VchanServer.publish(loop.platform(), channels, peer, path, readMin, writeMin));
    }

    /**
     * Connects to the server at {@code path}, waiting up to {@code timeout} for its keys. Keys
     * whose server is gone (it died and left them) fail at once with a {@code VchanClosedException}.
     */
    public static BlockingVchan connect(EventLoop loop, DomainId self, DomainId server, String path,
            Duration timeout) throws IOException {
        EventChannels channels = loop.channels(self);
        return new BlockingVchan(loop, VchanClient.connect(loop.platform(), channels, server, path, timeout));
    }

    public RingEndpoint endpoint() {
        return endpoint;
    }

    private void onEvent() {
        lock.lock();
        try {
            events++;
            fired.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private long eventCount() {
        lock.lock();
        try {
            return events;
        } finally {
            lock.unlock();
        }
    }

    /** Sleeps until an event after {@code seen}, or the deadline; false on timeout. */
    private boolean awaitEventAfter(long seen, long deadlineNanos) throws InterruptedIOException {
        lock.lock();
        try {
            while (events == seen) {
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                fired.awaitNanos(left);
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting on " + endpoint);
        } finally {
            lock.unlock();
        }
    }

    /** Server: waits until a client has connected; false on timeout. */
    public boolean awaitPeer(Duration timeout) throws IOException {
        long deadline = Deadline.after(timeout);
        while (true) {
            long seen = eventCount();
            if (endpoint.peerState() != RingEndpoint.PeerState.WAITING) {
                return true;
            }
            if (!awaitEventAfter(seen, deadline)) {
                return false;
            }
        }
    }

    /** Reads at least one byte, or returns -1 at end of stream; waits up to {@code timeout}. */
    public int read(ByteBuffer dst, Duration timeout) throws IOException {
        long deadline = Deadline.after(timeout);
        while (true) {
            long seen = eventCount();
            int n = endpoint.read(dst);
            if (n != 0) {
                return n;
            }
            if (endpoint.armReadWakeup() > 0) {
                continue;
            }
            if (endpoint.isEndOfStream()) {
                return -1;
            }
            if (!awaitEventAfter(seen, deadline)) {
                throw new IOException("no data on " + endpoint + " within " + timeout.toMillis() + " ms");
            }
        }
    }

    /** Writes all of {@code src}, waiting for space as needed, up to {@code timeout}. */
    public void writeFully(ByteBuffer src, Duration timeout) throws IOException {
        long deadline = Deadline.after(timeout);
        while (src.hasRemaining()) {
            long seen = eventCount();
            if (endpoint.write(src) > 0) {
                continue;
            }
            if (endpoint.armWriteWakeup() > 0) {
                continue;
            }
            if (!awaitEventAfter(seen, deadline)) {
                throw new IOException("no space on " + endpoint + " within " + timeout.toMillis() + " ms");
            }
        }
    }

    /** Waits until the peer is gone (its live byte is 0); false on timeout. */
    public boolean awaitPeerClosed(Duration timeout) throws IOException {
        long deadline = Deadline.after(timeout);
        while (true) {
            long seen = eventCount();
            if (endpoint.peerState() == RingEndpoint.PeerState.CLOSED) {
                return true;
            }
            if (!awaitEventAfter(seen, deadline)) {
                return false;
            }
        }
    }

    public void shutdownWrite() throws IOException {
        endpoint.shutdownWrite();
    }

    /** Also wakes calls blocked on another thread: they fail with {@code VchanClosedException}. */
    @Override
    public void close() {
        loop.unregister(endpoint.eventChannels(), endpoint.port());
        endpoint.close();
        onEvent();
    }

}
