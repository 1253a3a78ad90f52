package io.vchan.bridge.ring;

/**
 * Which end of a channel (docs/vchan-protocol.md §1): the server shares the
 * page and publishes it, reads the left ring and writes the right one; the
 * client maps it, writes left and reads right. Each end owns one live byte
 * and clears bits in its own notify byte; it sets bits in the other's.
 */
public enum Role {
    SERVER(ControlPage.SRV_LIVE, ControlPage.SRV_NOTIFY, "server"),
    CLIENT(ControlPage.CLI_LIVE, ControlPage.CLI_NOTIFY, "client");

    final int liveByte;
    final int notifyByte;
    private final String name;

    Role(int liveByte, int notifyByte, String name) {
        this.liveByte = liveByte;
        this.notifyByte = notifyByte;
        this.name = name;
    }

    public Role peer() {
        return this == SERVER ? CLIENT : SERVER;
    }

    /** Bytes the ring this end reads holds. */
    public int readRingSize(RingOrders orders) {
        return this == SERVER ? orders.leftSize() : orders.rightSize();
    }

    /** Bytes the ring this end writes holds. */
    public int writeRingSize(RingOrders orders) {
        return this == SERVER ? orders.rightSize() : orders.leftSize();
    }

    /** "server" or "client", as logs and messages say it. */
    @Override
    public String toString() {
        return name;
    }
}
