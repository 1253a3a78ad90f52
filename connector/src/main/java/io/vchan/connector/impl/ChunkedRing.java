package io.vchan.connector.impl;

import io.vchan.bridge.ring.RingEndpoint;
import io.vchan.bridge.ring.VchanClosedException;
import io.vchan.connector.impl.EndpointProtocol.Data;
import io.vchan.connector.impl.EndpointProtocol.EndOfStream;
import io.vchan.connector.impl.EndpointProtocol.PeerGone;
import io.vchan.connector.impl.EndpointProtocol.ReadResult;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.apache.pekko.util.ByteString;
/**
 * The copies of one connection, counted: reads come out as fresh chunks (never
 * views of shared memory), writes go in straight from a ByteString's buffers.
 * Neither waits. Whoever drives the ring — the endpoint actor for
 * {@code VchanEndpoint}, the stage for a Flow — calls these from one thread
 * per direction at a time.
 */
final class ChunkedRing {

    private final Target target;
    private final RingEndpoint endpoint;
    private final ConnectionCounters counters;
    private final int chunkSize;
    /** Begun when a write found the ring full; committed once bytes go in again. */
    private RingFullEvent fullSince;

    ChunkedRing(Target target, RingEndpoint endpoint, ConnectionCounters counters, int chunkSize) {
        this.target = target;
        this.endpoint = endpoint;
        this.counters = counters;
        this.chunkSize = chunkSize;
        counters.attach(endpoint);
    }

    /**
     * A fresh chunk ({@code Data}), or {@code EndOfStream} / {@code PeerGone}; or
     * null once the peer has been asked to signal when it writes (the port then
     * says "look again"). Looks {@code spins} more times first: cheaper than
     * sleeping when the peer is busy writing.
     */
    ReadResult readOrArm(int spins) throws IOException {
        for (int spin = 0; ; spin++) {
            ByteString chunk = read();
            if (chunk != null) {
                return new Data(chunk);
            }
            if (endpoint.isEndOfStream()) {
                return endpoint.peerState() == RingEndpoint.PeerState.CLOSED ? PeerGone.INSTANCE
                        : EndOfStream.INSTANCE;
            }
            if (spin >= spins && endpoint.armReadWakeup() == 0) {
                return null;
            }
        }
    }

    /**
     * Copies as much of {@code data} as fits, looking at a full ring {@code spins}
     * more times; returns the count. Fewer than all means the ring is full and the
     * peer has been asked to signal when it reads.
     *
     * @throws VchanPeerClosedException the peer closed: says how much of {@code data} is lost
     */
    int writeOrArm(ByteString data, int spins) throws IOException {
        int total = 0;
        try {
            for (ByteBuffer b : data.getByteBuffers()) {
                for (int spin = 0; b.hasRemaining(); ) {
                    int n = endpoint.write(b);
                    total += n;
                    if (n > 0 || spin++ < spins) {
                        continue;
                    }
                    if (endpoint.armWriteWakeup() == 0) {
                        ConnectionCounters.add(counters.ringFullWaits, 1);
                        ringFull();
                        return total;
                    }
                }
            }
            return total;
        } catch (VchanClosedException e) {
            if (endpoint.isClosed()) {
                throw e; // closed here: whoever closed it says why
            }
            throw UnsentBytes.peerClosed(endpoint.path(), data.size() - total, e);
        } finally {
            if (total > 0) {
                ConnectionCounters.add(counters.bytesOut, total);
                roomAgain();
            }
        }
    }

    private void ringFull() {
        if (fullSince == null) {
            fullSince = new RingFullEvent();
            fullSince.of(target);
            fullSince.begin();
        }
    }

    private void roomAgain() {
        if (fullSince != null) {
            fullSince.commit();
            fullSince = null;
        }
    }

    /** A fresh chunk of at most the chunk size of what is ready now, or null if nothing is. */
    private ByteString read() throws IOException {
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
    }

    /** A batch went into the ring completely. */
    void countRingWrite() {
        ConnectionCounters.add(counters.ringWrites, 1);
    }

    /** An event arrived on the port. */
    void countEvent() {
        ConnectionCounters.add(counters.notificationsIn, 1);
    }
}
