package io.vchan.bridge.ring;

import io.vchan.bridge.xen.XenPage;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The shared control page (docs/vchan-protocol.md §1): indices, orders, live and
 * notify bytes, grant refs. All little-endian. The page is shared with a
 * peer that may be hostile: every value read here is a claim, to be checked.
 *
 * <p>Bytes 20..23 (cli_live, srv_live, cli_notify, srv_notify) form one
 * aligned word; atomic bit operations on a notify byte are done on that word
 * with a mask, which is atomic with respect to the peer's byte-wide atomics.
 */
final class ControlPage {

    static final int SIZE = XenPage.SIZE;
    static final int LEFT_CONS = 0;
    static final int LEFT_PROD = 4;
    static final int RIGHT_CONS = 8;
    static final int RIGHT_PROD = 12;
    static final int LEFT_ORDER = 16;
    static final int RIGHT_ORDER = 18;
    static final int CLI_LIVE = 20;
    static final int SRV_LIVE = 21;
    static final int CLI_NOTIFY = 22;
    static final int SRV_NOTIFY = 23;
    static final int GRANTS = 24;
    static final int SMALL_RING_OFFSET = 1024;
    static final int LARGE_RING_OFFSET = 2048;

    private static final int FLAGS_WORD = 20;

    static final int NOTIFY_WRITE = 0x01;
    static final int NOTIFY_READ = 0x02;
    /** Extension E1: the peer will write no more. */
    static final int SHUTDOWN_WRITE = 0x80;

    static final int LIVE_CLOSED = 0;
    static final int LIVE_CONNECTED = 1;
    static final int LIVE_WAITING = 2;

    private static final VarHandle INT = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    private final ByteBuffer page;

    ControlPage(ByteBuffer page) {
        if (page.capacity() < SIZE || !page.isDirect()) {
            throw new IllegalArgumentException("a control page is one direct 4096-byte buffer");
        }
        this.page = page.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Grant refs a channel of these orders announces at {@link #GRANTS}: the left ring's, then the right's. */
    static int grantRefs(RingOrders orders) {
        return RingOrders.pages(orders.left()) + RingOrders.pages(orders.right());
    }

    /** Where the grant list must end: before an in-page ring (the 1 KiB one first), else at the page's end. */
    static int grantListLimit(RingOrders orders) {
        if (orders.left() == 10 || orders.right() == 10) {
            return SMALL_RING_OFFSET;
        }
        if (orders.left() == 11 || orders.right() == 11) {
            return LARGE_RING_OFFSET;
        }
        return SIZE;
    }

    /** Grant ref {@code index} of the list: written by the server before it publishes, so read plain. */
    int grantRef(int index) {
        return getIntPlain(GRANTS + 4 * index);
    }

    void putGrantRef(int index, int ref) {
        putIntPlain(GRANTS + 4 * index, ref);
    }

    /** True if the grant list of these orders ends within its limit. */
    static boolean grantListFits(RingOrders orders) {
        return GRANTS + 4 * grantRefs(orders) <= grantListLimit(orders);
    }

    /** Orders 10 and 11 live in the control page itself (1 KiB at 1024, 2 KiB at 2048); null for others. */
    ByteBuffer inPageRing(int order) {
        return switch (order) {
            case 10 -> page.slice(SMALL_RING_OFFSET, 1 << 10);
            case 11 -> page.slice(LARGE_RING_OFFSET, 1 << 11);
            default -> null;
        };
    }

    ByteBuffer buffer() {
        return page;
    }

    int getAcquire(int offset) {
        return (int) INT.getAcquire(page, offset);
    }

    void setRelease(int offset, int value) {
        INT.setRelease(page, offset, value);
    }

    void setVolatile(int offset, int value) {
        INT.setVolatile(page, offset, value);
    }

    int getUnsignedShort(int offset) {
        return Short.toUnsignedInt(page.getShort(offset));
    }

    void putShort(int offset, int value) {
        page.putShort(offset, (short) value);
    }

    int getIntPlain(int offset) {
        return page.getInt(offset);
    }

    void putIntPlain(int offset, int value) {
        page.putInt(offset, value);
    }

    /** A live or notify byte, read with a full fence before it. */
    int getByteVolatile(int offset) {
        VarHandle.fullFence();
        return Byte.toUnsignedInt(page.get(offset));
    }

    /** A single byte store, then a full fence: neighbours are untouched. */
    void putByteVolatile(int offset, int value) {
        page.put(offset, (byte) value);
        VarHandle.fullFence();
    }

    private static int shift(int byteOffset) {
        return 8 * (byteOffset - FLAGS_WORD);
    }

    /** Atomically ORs bits into one of the bytes 20..23; returns the byte's old value. */
    int orByte(int byteOffset, int bits) {
        int s = shift(byteOffset);
        int old = (int) INT.getAndBitwiseOr(page, FLAGS_WORD, (bits & 0xff) << s);
        return (old >>> s) & 0xff;
    }

    /** Atomically clears bits in one of the bytes 20..23; returns the byte's old value. */
    int clearByte(int byteOffset, int bits) {
        int s = shift(byteOffset);
        int old = (int) INT.getAndBitwiseAnd(page, FLAGS_WORD, ~((bits & 0xff) << s));
        return (old >>> s) & 0xff;
    }
}
