package io.vchan.bridge.ring;

import java.nio.ByteBuffer;

/**
 * One direction of a channel: a power-of-two data area plus its producer and
 * consumer indices in the control page. Indices are free-running u32; the
 * peer owns one of them, so every value it writes is checked before use,
 * each read once per decision, and every offset is masked. The other is ours:
 * kept here and written out, never taken back from shared memory, and a
 * shared copy that no longer matches is a peer rewriting it (libxenvchan does
 * not check this; it would re-deliver or skip bytes).
 */
final class Ring {

    /** Which index is ours: the consumer's on the ring we read, the producer's on the ring we write. */
    enum Side { READER, WRITER }

    private final ControlPage page;
    private final int consOffset;
    private final int prodOffset;
    private final ByteBuffer data;
    private final int size;
    private final int mask;
    private final String name;
    private final Side ours;
    /**
     * Our index: what we last wrote out. The thread that moves it (the reader
     * or the writer) checks the shared copy against it; a look from any thread
     * (how much is ready or free) takes it as we hold it, so it never sees the
     * mover between its two stores.
     */
    private volatile int own;

    Ring(ControlPage page, int consOffset, int prodOffset, ByteBuffer data, int order, String name, Side ours) {
        this.page = page;
        this.ours = ours;
        this.consOffset = consOffset;
        this.prodOffset = prodOffset;
        this.size = 1 << order;
        this.mask = size - 1;
        this.data = data.duplicate();
        if (this.data.capacity() < size) {
            throw new IllegalArgumentException(name + " ring buffer smaller than 2^" + order);
        }
        this.name = name;
        this.own = page.getAcquire(ownOffset()); // the page as it is when we start: 0 on a fresh one
    }

    private int ownOffset() {
        return ours == Side.READER ? consOffset : prodOffset;
    }

    /** Our index, after checking that the shared copy is still what we wrote. */
    private int own() throws VchanProtocolException {
        int shared = page.getAcquire(ownOffset());
        if (shared != own) {
            throw new VchanProtocolException(name + " ring is corrupt: our " + (ours == Side.READER ? "cons" : "prod")
                    + " is " + Integer.toUnsignedString(own) + " but the shared page says "
                    + Integer.toUnsignedString(shared) + ": the peer rewrote it");
        }
        return own;
    }

    /** For a move: our index checked against the shared copy. */
    private int cons() throws VchanProtocolException {
        return ours == Side.READER ? own() : page.getAcquire(consOffset);
    }

    private int prod() throws VchanProtocolException {
        return ours == Side.WRITER ? own() : page.getAcquire(prodOffset);
    }

    int size() {
        return size;
    }

    /** Bytes the producer has made available: prod − cons, checked. */
    int ready() throws VchanProtocolException {
        return usedNow();
    }

    /** Room for the producer: size − (prod − cons), checked. */
    int space() throws VchanProtocolException {
        return size - usedNow();
    }

    /**
     * prod − cons as of one moment, for a look from any thread: our index as
     * we hold it and theirs from the page, taken again if our own mover moved
     * ours meanwhile (both then moved, and the pair would not be of one moment).
     */
    private int usedNow() throws VchanProtocolException {
        while (true) {
            int mine = own;
            int theirs = page.getAcquire(ours == Side.READER ? prodOffset : consOffset);
            if (own == mine) {
                int prod = ours == Side.WRITER ? mine : theirs;
                int cons = ours == Side.READER ? mine : theirs;
                return checked(prod - cons, prod, cons);
            }
        }
    }

    private int checked(int used, int prod, int cons) throws VchanProtocolException {
        if (Integer.compareUnsigned(used, size) > 0) {
            throw new VchanProtocolException(name + " ring is corrupt: prod " + Integer.toUnsignedString(prod)
                    + " − cons " + Integer.toUnsignedString(cons) + " exceeds its size " + size);
        }
        return used;
    }

    /** Copies up to {@code dst.remaining()} ready bytes out; returns how many. */
    int read(ByteBuffer dst) throws VchanProtocolException {
        return read(dst, false);
    }

    /**
     * Copies {@code dst.remaining()} bytes out if that many are ready, else
     * none: decided and copied on one reading of the indices, so a peer moving
     * them meanwhile cannot tear the packet.
     */
    boolean readAll(ByteBuffer dst) throws VchanProtocolException {
        return !dst.hasRemaining() || read(dst, true) > 0;
    }

    private int read(ByteBuffer dst, boolean allOrNothing) throws VchanProtocolException {
        int cons = cons();
        int prod = prod();
        int ready = checked(prod - cons, prod, cons);
        int n = Math.min(dst.remaining(), ready);
        if (n == 0 || allOrNothing && n < dst.remaining()) {
            return 0;
        }
        int pos = cons & mask;
        int first = Math.min(n, size - pos);
        dst.put(dst.position(), data, pos, first);
        if (n > first) {
            dst.put(dst.position() + first, data, 0, n - first);
        }
        dst.position(dst.position() + n);
        // Release: our copy is complete before the producer may reuse the space.
        page.setRelease(consOffset, cons + n);
        if (ours == Side.READER) {
            own = cons + n;
        }
        return n;
    }

    /** Copies up to {@code src.remaining()} bytes in, as space allows; returns how many. */
    int write(ByteBuffer src) throws VchanProtocolException {
        return write(src, false);
    }

    /**
     * Copies all of {@code src} in if it fits, else none: decided and copied
     * on one reading of the indices, so a peer moving them meanwhile cannot
     * tear the packet.
     */
    boolean writeAll(ByteBuffer src) throws VchanProtocolException {
        return !src.hasRemaining() || write(src, true) > 0;
    }

    private int write(ByteBuffer src, boolean allOrNothing) throws VchanProtocolException {
        int prod = prod();
        int cons = cons();
        int n = Math.min(src.remaining(), size - checked(prod - cons, prod, cons));
        if (n == 0 || allOrNothing && n < src.remaining()) {
            return 0;
        }
        int pos = prod & mask;
        int first = Math.min(n, size - pos);
        data.put(pos, src, src.position(), first);
        if (n > first) {
            data.put(0, src, src.position() + first, n - first);
        }
        src.position(src.position() + n);
        // The bytes must be visible before the index that publishes them.
        page.setRelease(prodOffset, prod + n);
        if (ours == Side.WRITER) {
            own = prod + n;
        }
        return n;
    }

    /** True if either index moved since the last {@link #reset()}: someone used the ring. */
    boolean used() {
        return page.getAcquire(consOffset) != 0 || page.getAcquire(prodOffset) != 0;
    }

    /** Sets both indices to 0: only for a server resetting its page. */
    void reset() {
        page.setVolatile(consOffset, 0);
        page.setVolatile(prodOffset, 0);
        own = 0;
    }
}
