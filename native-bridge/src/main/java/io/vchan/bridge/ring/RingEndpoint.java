package io.vchan.bridge.ring;

import io.vchan.bridge.xen.DomainId;
import io.vchan.bridge.xen.EventChannels;
import io.vchan.bridge.xen.XenException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * One end of a vchan: non-blocking reads and writes on the shared rings and
 * the notification protocol of docs/vchan-protocol.md §5. Made by
 * {@link VchanServer#publish} or {@link VchanClient#connect}.
 *
 * <p>Waiting is the caller's business: before sleeping for data call
 * {@link #armReadWakeup()}, before sleeping for space {@link #armWriteWakeup()},
 * and sleep only if they return 0; an event on {@link #port()} then says
 * "look again". Reads and writes may run on two threads at once; close
 * waits for them, so the shared memory is never touched after it is gone.
 */
public final class RingEndpoint implements AutoCloseable {

    /** What the peer's live byte says. */
    public enum PeerState { WAITING, CONNECTED, CLOSED }

    private final Role role;
    private final DomainId peer;
    private final String path;
    private final RingOrders orders;
    private final ControlPage page;
    private final Ring readRing;
    private final Ring writeRing;
    private final EventChannels events;
    private final int port;
    private final List<AutoCloseable> resources;
    private final Runnable onClose;
    private final CompletableFuture<Void> whenClosed = new CompletableFuture<>();
    private final int controlRef;
    /** The server's orders and grant refs, to write again at a reset; null for a client. */
    private final ServerHeader header;
    private final int ownLive;
    private final int peerLive;
    private volatile boolean peerDomainGone;
    private final int ownNotify;
    private final int peerNotify;
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private volatile boolean closed;
    private volatile boolean writeShutdown;
    /** Sticky once reported: the stream ended, whatever the peer writes into the page afterwards. */
    private volatile boolean endOfStream;
    /** Set by a reset for the next client, until that client shows up. */
    private volatile boolean awaitingNextClient;
    private final AtomicLong notificationsSent = new AtomicLong();

    RingEndpoint(Role role, DomainId peer, String path, RingOrders orders, ControlPage page,
            Ring readRing, Ring writeRing, EventChannels events, int port, List<AutoCloseable> resources,
            Runnable onClose, int controlRef, ServerHeader header) {
        this.role = role;
        this.header = header;
        this.controlRef = controlRef;
        this.peer = peer;
        this.path = path;
        this.orders = orders;
        this.page = page;
        this.readRing = readRing;
        this.writeRing = writeRing;
        this.events = events;
        this.port = port;
        this.resources = resources;
        this.onClose = onClose;
        this.ownLive = role.liveByte;
        this.peerLive = role.peer().liveByte;
        this.ownNotify = role.notifyByte;
        this.peerNotify = role.peer().notifyByte;
    }

    public Role role() {
        return role;
    }

    public DomainId localDomain() {
        return events.domain();
    }

    public DomainId peerDomain() {
        return peer;
    }

    /** The XenStore directory the channel is published under. */
    public String path() {
        return path;
    }

    public RingOrders orders() {
        return orders;
    }

    /** Bytes one read can see at most: our read ring's size. */
    public int readCapacity() {
        return readRing.size();
    }

    /** Bytes one write can place at most: our write ring's size. */
    public int writeCapacity() {
        return writeRing.size();
    }

    /** The local event port; an event on it means "state may have changed". */
    public int port() {
        return port;
    }

    public EventChannels eventChannels() {
        return events;
    }

    /** Server only: the grant ref of the control page, as published. */
    int controlRef() {
        return controlRef;
    }

    /** Events sent to the peer because it asked to be woken. */
    public long notificationsSent() {
        return notificationsSent.get();
    }

    public boolean isClosed() {
        return closed;
    }

    private void enter() throws VchanClosedException {
        lifecycle.readLock().lock();
        if (closed) {
            lifecycle.readLock().unlock();
            throw new VchanClosedException("vchan " + path + " is closed");
        }
    }

    private void exit() {
        lifecycle.readLock().unlock();
    }

    public PeerState peerState() throws VchanClosedException {
        enter();
        try {
            return peerStateInside();
        } finally {
            exit();
        }
    }

    /**
     * The peer's domain no longer exists. On real Xen a destroyed domain never
     * clears its live byte (its kernel does not run to unmap) and Xen sends no
     * event, so without this a reader would wait for ever. Data already in the
     * rings stays readable; the peer counts as closed from now on.
     */
    public void peerDomainGone() {
        peerDomainGone = true;
    }

    private PeerState peerStateInside() {
        if (peerDomainGone) {
            return PeerState.CLOSED;
        }
        int live = page.getByteVolatile(peerLive);
        if (awaitingNextClient) {
            // After a reset, the previous client's unmap notification may still clear its
            // live byte: 0 means "gone" only once a new client came (live 1 or used rings).
            if (live == ControlPage.LIVE_CONNECTED || readRing.used() || writeRing.used()) {
                awaitingNextClient = false;
            } else {
                return PeerState.WAITING;
            }
        }
        return switch (live) {
            case ControlPage.LIVE_CONNECTED -> PeerState.CONNECTED;
            case ControlPage.LIVE_WAITING -> PeerState.WAITING;
            default -> PeerState.CLOSED; // 0, or anything a broken peer wrote
        };
    }

    private boolean peerWillWriteMore() {
        PeerState s = peerStateInside();
        if (s == PeerState.CLOSED) {
            return false;
        }
        return (page.getByteVolatile(ownNotify) & ControlPage.SHUTDOWN_WRITE) == 0;
    }

    /** Bytes ready to read now. */
    public int dataReady() throws IOException {
        enter();
        try {
            return readRing.ready();
        } finally {
            exit();
        }
    }

    /** Bytes that can be written now. */
    public int bufferSpace() throws IOException {
        enter();
        try {
            return writeRing.space();
        } finally {
            exit();
        }
    }

    /**
     * Reads what is ready, up to {@code dst.remaining()}. Returns the count (0 if
     * nothing is ready yet), or -1 at end of stream: the peer closed or shut down
     * writing and everything it wrote has been read.
     */
    public int read(ByteBuffer dst) throws IOException {
        enter();
        try {
            if (!dst.hasRemaining()) {
                return 0;
            }
            if (endOfStream) {
                return -1; // said once, said for good: a peer that comes back to life is not believed
            }
            int n = readRing.read(dst);
            if (n == 0 && !peerWillWriteMore()) {
                // The peer may have written, then closed: look once more before saying so.
                n = readRing.read(dst);
                if (n == 0) {
                    endOfStream = true;
                    return -1;
                }
            }
            if (n > 0) {
                sendNotify(ControlPage.NOTIFY_READ);
            }
            return n;
        } finally {
            exit();
        }
    }

    /**
     * Packet mode: reads exactly {@code dst.remaining()} bytes if that many are
     * ready, else nothing — from one reading of the indices, all or nothing.
     */
    public boolean readPacket(ByteBuffer dst) throws IOException {
        enter();
        try {
            int want = dst.remaining();
            if (want > readRing.size()) {
                throw new IllegalArgumentException("packet of " + want + " bytes exceeds the read ring of "
                        + readRing.size());
            }
            if (want == 0 || !readRing.readAll(dst)) {
                return want == 0;
            }
            sendNotify(ControlPage.NOTIFY_READ);
            return true;
        } finally {
            exit();
        }
    }

    /** Writes as much of {@code src} as fits now; returns the count (0 if the ring is full). */
    public int write(ByteBuffer src) throws IOException {
        enter();
        try {
            checkWritable();
            int n = writeRing.write(src);
            if (n > 0) {
                sendNotify(ControlPage.NOTIFY_WRITE);
            }
            return n;
        } finally {
            exit();
        }
    }

    /** Packet mode: writes all of {@code src} if it fits now, else nothing — all or nothing, as reading. */
    public boolean writePacket(ByteBuffer src) throws IOException {
        enter();
        try {
            checkWritable();
            int want = src.remaining();
            if (want > writeRing.size()) {
                throw new IllegalArgumentException("packet of " + want + " bytes exceeds the write ring of "
                        + writeRing.size());
            }
            if (want == 0 || !writeRing.writeAll(src)) {
                return want == 0;
            }
            sendNotify(ControlPage.NOTIFY_WRITE);
            return true;
        } finally {
            exit();
        }
    }

    private void checkWritable() throws VchanClosedException {
        if (writeShutdown) {
            throw new VchanClosedException("vchan " + path + " is shut down for writing");
        }
        if (peerStateInside() == PeerState.CLOSED) {
            throw new VchanClosedException("the peer (" + peer + ") closed vchan " + path);
        }
    }

    /**
     * Asks the peer to signal when it writes, then looks again: returns the bytes
     * ready now. Sleep for an event only if this returns 0 and the stream is open.
     */
    public int armReadWakeup() throws IOException {
        enter();
        try {
            requestNotify(ControlPage.NOTIFY_WRITE);
            return readRing.ready();
        } finally {
            exit();
        }
    }

    /** Asks the peer to signal when it reads, then returns the space free now. */
    public int armWriteWakeup() throws IOException {
        enter();
        try {
            requestNotify(ControlPage.NOTIFY_READ);
            return writeRing.space();
        } finally {
            exit();
        }
    }

    /** True once reads can only return -1: the peer is gone or shut down writing, and the ring is empty. */
    public boolean isEndOfStream() throws IOException {
        enter();
        try {
            if (!endOfStream && !peerWillWriteMore() && readRing.ready() == 0) {
                endOfStream = true;
            }
            return endOfStream;
        } finally {
            exit();
        }
    }

    /**
     * Extension E1: tells the peer we will write no more (sticky bit 0x80 in its
     * notify byte, then an event). Our reading goes on. Peers that don't know E1
     * ignore the bit.
     */
    public void shutdownWrite() throws IOException {
        enter();
        try {
            if (!writeShutdown) {
                writeShutdown = true;
                page.orByte(peerNotify, ControlPage.SHUTDOWN_WRITE);
                events.notify(port);
            }
        } finally {
            exit();
        }
    }

    /** "Wake me when you ..." : the bit goes in the peer's notify byte. */
    private void requestNotify(int bit) {
        page.orByte(peerNotify, bit);
    }

    /** Signals the peer only if it asked for {@code bit}, clearing its request. */
    private void sendNotify(int bit) throws XenException {
        if ((page.clearByte(ownNotify, bit) & bit) != 0) {
            notificationsSent.incrementAndGet();
            events.notify(port);
        }
    }

    /**
     * Server only: makes the page ready for a new client after the previous one
     * left — indices, orders, grant refs, live and notify bytes as at publication.
     * The grants and the event port stay; the client's unbinding returned our
     * port to unbound.
     */
    void resetForNextClient() throws IOException {
        enter();
        try {
            if (role != Role.SERVER) {
                throw new IllegalStateException("only a server resets its page");
            }
            readRing.reset();
            writeRing.reset();
            header.writeTo(page); // the last client may have scribbled on what the next one reads
            writeShutdown = false;
            endOfStream = false; // the next client's stream is a new one
            awaitingNextClient = true;
            page.putByteVolatile(ControlPage.SRV_NOTIFY, 0);
            page.putByteVolatile(ControlPage.CLI_NOTIFY, ControlPage.NOTIFY_WRITE);
            page.putByteVolatile(ControlPage.SRV_LIVE, ControlPage.LIVE_CONNECTED);
            page.putByteVolatile(ControlPage.CLI_LIVE, ControlPage.LIVE_WAITING);
        } finally {
            exit();
        }
    }

    /** Idempotent. Tells the peer, releases grants, mappings and the port, removes what we published. */
    @Override
    public void close() {
        lifecycle.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            page.putByteVolatile(ownLive, ControlPage.LIVE_CLOSED);
            // Releasing the control page fires its unmap notification for the peer.
            for (int i = resources.size() - 1; i >= 0; i--) {
                closeQuietly(resources.get(i));
            }
            try {
                events.notify(port);
            } catch (XenException ignored) {
                // the peer may be gone already
            }
            try {
                events.unbind(port);
            } catch (XenException ignored) {
                // the handle may be closed already
            }
            onClose.run();
        } finally {
            lifecycle.writeLock().unlock();
        }
        whenClosed.complete(null);
    }

    /** Completes once {@link #close()} has released everything, whoever called it. */
    public CompletionStage<Void> whenClosed() {
        return whenClosed;
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // closing the rest matters more
        }
    }

    @Override
    public String toString() {
        return ("vchan " + role + " ") + path + " " + localDomain() + "<->" + peer
                + " orders " + orders.left() + "/" + orders.right();
    }
}
