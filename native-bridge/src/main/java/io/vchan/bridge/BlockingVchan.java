package io.vchan.bridge;

import io.vchan.bridge.events.EventLoop;
import io.vchan.bridge.ring.Deadline;
import io.vchan.bridge.ring.VchanClient;
import io.vchan.bridge.ring.RingEndpoint;
import io.vchan.bridge.ring.VchanServer;
import io.vchan.bridge.xen.DomainId;
import io.vchan.bridge.xen.EventChannels;
import io.vchan.bridge.xen.XenException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;

/**
 * A vchan endpoint with blocking calls, for programs and tests that want
 * threads rather than streams. Waits follow the no-lost-wakeup rule: arm the
 * peer's notification, look again, and only then sleep until the port fires.
 *
 * <p>Each one binds its port on a handle of its own and the thread that waits
 * polls it ({@link OwnEventChannel}), as libxenvchan does: an event wakes the
 * waiting thread directly. The loop only watches the peer's domain (dom0).
 */
public final class BlockingVchan implements AutoCloseable {

    private final EventLoop loop;
    private final RingEndpoint endpoint;
    private final OwnEventChannel events;

    private BlockingVchan(EventLoop loop, RingEndpoint endpoint, OwnEventChannel events) {
        this.loop = loop;
        this.endpoint = endpoint;
        this.events = events;
        try {
            loop.watchPeerDomain(this, endpoint.peerDomain(), () -> {
                endpoint.peerDomainGone();
                events.fire();
            });
        } catch (RuntimeException e) {
            endpoint.close(); // nothing else holds the channel; the caller closes the handle
            throw e;
        }
    }

    public static BlockingVchan serve(EventLoop loop, DomainId self, DomainId peer, String path, int readMin,
            int writeMin) throws IOException {
        OwnEventChannel events = open(loop, self);
        try {
            return new BlockingVchan(loop,
                    VchanServer.publish(loop.platform(), events.channels(), peer, path, readMin, writeMin), events);
        } catch (IOException | RuntimeException e) {
            events.close();
            throw e;
        }
    }

    /**
     * Connects to the server at {@code path}, waiting up to {@code timeout} for its keys. Keys
     * whose server is gone (it died and left them) fail at once with a {@code VchanClosedException}.
     */
    public static BlockingVchan connect(EventLoop loop, DomainId self, DomainId server, String path,
            Duration timeout) throws IOException {
        OwnEventChannel events = open(loop, self);
        try {
            return new BlockingVchan(loop,
                    VchanClient.connect(loop.platform(), events.channels(), server, path, timeout), events);
        } catch (IOException | RuntimeException e) {
            events.close();
            throw e;
        }
    }

    /** A fresh handle of {@code self} and a waiter over it; neither left open on failure. */
    private static OwnEventChannel open(EventLoop loop, DomainId self) throws XenException {
        EventChannels channels = loop.platform().openEventChannels(self);
        try {
            return OwnEventChannel.over(channels, loop.platform().newEventWaiter());
        } catch (XenException | RuntimeException e) {
            channels.close();
            throw e;
        }
    }

    public RingEndpoint endpoint() {
        return endpoint;
    }

    /** Server: waits until a client has connected; false on timeout. */
    public boolean awaitPeer(Duration timeout) throws IOException {
        long deadline = Deadline.after(timeout);
        while (true) {
            long seen = events.events();
            if (endpoint.peerState() != RingEndpoint.PeerState.WAITING) {
                return true;
            }
            if (!events.awaitEventAfter(seen, deadline)) {
                return false;
            }
        }
    }

    /**
     * Reads at least one byte, or returns -1 at end of stream; waits up to {@code timeout}.
     * A {@code dst} without room reads nothing and returns 0 at once.
     */
    public int read(ByteBuffer dst, Duration timeout) throws IOException {
        if (!dst.hasRemaining()) {
            return 0; // else data ready and no room to take it would look again for ever
        }
        long deadline = Deadline.after(timeout);
        while (true) {
            long seen = events.events();
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
            if (!events.awaitEventAfter(seen, deadline)) {
                throw new IOException("no data on " + endpoint + " within " + timeout.toMillis() + " ms");
            }
        }
    }

    /** Writes all of {@code src}, waiting for space as needed, up to {@code timeout}. */
    public void writeFully(ByteBuffer src, Duration timeout) throws IOException {
        long deadline = Deadline.after(timeout);
        while (src.hasRemaining()) {
            long seen = events.events();
            if (endpoint.write(src) > 0) {
                continue;
            }
            if (endpoint.armWriteWakeup() > 0) {
                continue;
            }
            if (!events.awaitEventAfter(seen, deadline)) {
                throw new IOException("no space on " + endpoint + " within " + timeout.toMillis() + " ms");
            }
        }
    }

    /** Waits until the peer is gone (its live byte is 0); false on timeout. */
    public boolean awaitPeerClosed(Duration timeout) throws IOException {
        long deadline = Deadline.after(timeout);
        while (true) {
            long seen = events.events();
            if (endpoint.peerState() == RingEndpoint.PeerState.CLOSED) {
                return true;
            }
            if (!events.awaitEventAfter(seen, deadline)) {
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
        loop.unwatchPeerDomain(this);
        endpoint.close();
        events.close(); // after the endpoint: its close unbinds the port on this handle
    }

}
