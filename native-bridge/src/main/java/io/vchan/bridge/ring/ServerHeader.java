package io.vchan.bridge.ring;

import java.util.List;

/**
 * What only the server writes in its control page and never reads back: the
 * ring orders and the grant refs of the rings' pages. Kept so that a reset for
 * the next client writes them again, as a client may have scribbled on them
 * and the next client reads them as the server's word.
 */
final class ServerHeader {

    private final RingOrders orders;
    private final int[] grantRefs;

    ServerHeader(RingOrders orders, List<Integer> grantRefs) {
        this.orders = orders;
        this.grantRefs = grantRefs.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Plain writes: at publication nobody maps the page yet; at a reset the next client has not come. */
    void writeTo(ControlPage page) {
        page.putShort(ControlPage.LEFT_ORDER, orders.left());
        page.putShort(ControlPage.RIGHT_ORDER, orders.right());
        for (int i = 0; i < grantRefs.length; i++) {
            page.putGrantRef(i, grantRefs[i]);
        }
    }
}
