package io.vchan.bridge.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/**
 * The control page's layout (docs/vchan-protocol.md §1): where in-page rings
 * live, how many grant refs a pair of orders needs, and where their list must
 * end; and the notify bytes' atomics leave their neighbours alone.
 */
class ControlPageLayoutTest {

    private final ControlPage page = new ControlPage(ByteBuffer.allocateDirect(ControlPage.SIZE));

    @Test
    void ordersTenAndElevenLiveInThePage() {
        ByteBuffer small = page.inPageRing(10);
        ByteBuffer large = page.inPageRing(11);
        assertEquals(1024, small.capacity());
        assertEquals(2048, large.capacity());
        small.put(0, (byte) 1);
        large.put(0, (byte) 2);
        assertEquals(1, page.buffer().get(1024));
        assertEquals(2, page.buffer().get(2048));
        assertNull(page.inPageRing(12));
    }

    @Test
    void theGrantListEndsBeforeAnInPageRingOrThePagesEnd() {
        assertEquals(0, ControlPage.grantRefs(new RingOrders(10, 11)));
        assertEquals(ControlPage.SMALL_RING_OFFSET, ControlPage.grantListLimit(new RingOrders(10, 11)));
        assertEquals(256, ControlPage.grantRefs(new RingOrders(11, 20)));
        assertEquals(ControlPage.LARGE_RING_OFFSET, ControlPage.grantListLimit(new RingOrders(11, 20)));
        assertEquals(512, ControlPage.grantRefs(new RingOrders(20, 20)));
        assertEquals(ControlPage.SIZE, ControlPage.grantListLimit(new RingOrders(20, 20)));
        // 24 + 4 * 256 = 1048 bytes: past the 1 KiB ring at 1024, so a server may not announce these
        assertEquals(false, ControlPage.grantListFits(new RingOrders(10, 20)));
        assertEquals(false, ControlPage.grantListFits(new RingOrders(20, 10)));
        assertEquals(true, ControlPage.grantListFits(new RingOrders(11, 20)));
        assertEquals(true, ControlPage.grantListFits(new RingOrders(20, 20)));
    }

    @Test
    void notifyBitsChangeOnlyTheirByte() {
        page.putByteVolatile(ControlPage.CLI_LIVE, 1);
        page.putByteVolatile(ControlPage.SRV_LIVE, 1);
        page.putByteVolatile(ControlPage.SRV_NOTIFY, 0x01);
        assertEquals(0, page.orByte(ControlPage.CLI_NOTIFY, ControlPage.NOTIFY_READ | ControlPage.SHUTDOWN_WRITE));
        assertEquals(0x82, page.clearByte(ControlPage.CLI_NOTIFY, ControlPage.NOTIFY_READ));
        assertEquals(0x80, page.getByteVolatile(ControlPage.CLI_NOTIFY));
        assertEquals(1, page.getByteVolatile(ControlPage.CLI_LIVE));
        assertEquals(1, page.getByteVolatile(ControlPage.SRV_LIVE));
        assertEquals(0x01, page.getByteVolatile(ControlPage.SRV_NOTIFY));
    }
}
