package io.vchan.bridge.ring;

/**
 * The sizes of a channel's two rings as powers of two: {@code left} carries
 * client → server data, {@code right} server → client. Orders 10 and 11 live
 * inside the control page (bytes 1024.. and 2048..), so they must differ
 * when both are in-page; orders 12..20 are granted pages of their own.
 */
public record RingOrders(int left, int right) {

    public static final int MIN_ORDER = 10;
    public static final int MAX_ORDER = 20;
    public static final int MAX_SIZE = 1 << MAX_ORDER;
    static final int PAGE_ORDER = 12;

    public RingOrders {
        if (!valid(left, right)) {
            throw new IllegalArgumentException("invalid ring orders " + left + "/" + right
                    + ": each must be in " + MIN_ORDER + ".." + MAX_ORDER
                    + ", and two in-page orders (< 12) must differ");
        }
    }

    static boolean valid(int left, int right) {
        return left >= MIN_ORDER && left <= MAX_ORDER && right >= MIN_ORDER && right <= MAX_ORDER
                && !(left == right && left < PAGE_ORDER);
    }

    /**
     * libxenvchan's choice for a server that wants to read at least {@code readMin}
     * bytes at once (left ring) and write {@code writeMin} (right ring): in-page
     * rings where they fit, else the smallest granted size.
     */
    public static RingOrders forServer(int readMin, int writeMin) {
        checkSize("read", readMin);
        checkSize("write", writeMin);
        if (readMin <= 1024 && writeMin <= 2048) {
            return new RingOrders(10, 11);
        }
        if (readMin <= 2048 && writeMin <= 1024) {
            return new RingOrders(11, 10);
        }
        if (readMin <= 2048) {
            return new RingOrders(11, pagedOrder(writeMin));
        }
        if (writeMin <= 2048) {
            return new RingOrders(pagedOrder(readMin), 11);
        }
        return new RingOrders(pagedOrder(readMin), pagedOrder(writeMin));
    }

    static void checkSize(String what, int size) {
        if (size < 0) {
            throw new IllegalArgumentException(what + " size " + size + " is negative");
        }
        if (size > MAX_SIZE) {
            throw new IllegalArgumentException(what + " size " + size + " is above " + MAX_SIZE
                    + " (2^20): the control page has room for the grant refs of two 1 MiB rings only");
        }
    }

    private static int pagedOrder(int size) {
        int order = PAGE_ORDER;
        while ((1 << order) < size) {
            order++;
        }
        return order;
    }

    /** Granted pages a ring of this order needs (0 for in-page rings). */
    static int pages(int order) {
        return order >= PAGE_ORDER ? 1 << (order - PAGE_ORDER) : 0;
    }

    public int leftSize() {
        return 1 << left;
    }

    public int rightSize() {
        return 1 << right;
    }
}
