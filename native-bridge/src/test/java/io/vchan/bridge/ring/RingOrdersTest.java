package io.vchan.bridge.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** libxenvchan's choice of ring orders for a server (docs/vchan-protocol.md §2) and what an order may be. */
class RingOrdersTest {

    @Test
    void theFirstRuleThatFitsWins() {
        assertEquals(new RingOrders(10, 11), RingOrders.forServer(1024, 2048));
        assertEquals(new RingOrders(10, 11), RingOrders.forServer(0, 0));
        assertEquals(new RingOrders(11, 10), RingOrders.forServer(2048, 1024));
        assertEquals(new RingOrders(11, 12), RingOrders.forServer(2048, 2049));
        assertEquals(new RingOrders(11, 20), RingOrders.forServer(1500, 1 << 20));
        assertEquals(new RingOrders(12, 11), RingOrders.forServer(2049, 2048));
        assertEquals(new RingOrders(13, 12), RingOrders.forServer(8192, 4096));
        assertEquals(new RingOrders(14, 20), RingOrders.forServer(8193, (1 << 19) + 1));
        assertEquals(new RingOrders(20, 20), RingOrders.forServer(1 << 20, 1 << 20));
    }

    @Test
    void sizesAboveOneMebibyteOrNegativeAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RingOrders.forServer((1 << 20) + 1, 0));
        assertTrue(e.getMessage().contains("read size 1048577 is above 1048576"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> RingOrders.forServer(0, -1));
    }

    @Test
    void ordersAreTenToTwentyAndTwoInPageOnesDiffer() {
        assertTrue(RingOrders.valid(10, 11));
        assertTrue(RingOrders.valid(12, 12));
        assertTrue(RingOrders.valid(20, 10));
        assertFalse(RingOrders.valid(10, 10), "both would be the slot at 1024");
        assertFalse(RingOrders.valid(11, 11), "both would be the slot at 2048");
        assertFalse(RingOrders.valid(9, 12));
        assertFalse(RingOrders.valid(12, 21));
        assertFalse(RingOrders.valid(-1, 0x10000));
        assertThrows(IllegalArgumentException.class, () -> new RingOrders(11, 11));
    }

    @Test
    void grantedPagesPerOrder() {
        assertEquals(0, RingOrders.pages(10));
        assertEquals(0, RingOrders.pages(11));
        assertEquals(1, RingOrders.pages(12));
        assertEquals(256, RingOrders.pages(20));
        assertEquals(1 << 10, new RingOrders(10, 20).leftSize());
        assertEquals(1 << 20, new RingOrders(10, 20).rightSize());
    }
}
