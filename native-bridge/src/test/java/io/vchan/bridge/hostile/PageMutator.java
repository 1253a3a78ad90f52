package io.vchan.bridge.hostile;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

/**
 * The Java twin of vchan-hostile.c's mutations: writes a value a broken or
 * malicious peer might write (random, extreme, or near the current one) into
 * an index, an order, a live or notify byte, or the grant list of a control
 * page mapped a second time.
 */
final class PageMutator {

    private static final int ORDERS = 16;
    private static final int LIVE = 20;
    private static final int NOTIFY = 22;
    private static final int GRANTS = 24;

    private final ByteBuffer page;
    private final SplittableRandom random;
    private long mutations;

    PageMutator(ByteBuffer page, SplittableRandom random) {
        this.page = page.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        this.random = random;
    }

    long mutations() {
        return mutations;
    }

    void mutate() {
        switch (random.nextInt(5)) {
            case 0 -> {
                int off = 4 * random.nextInt(4);
                page.putInt(off, hostileValue(page.getInt(off), 1 << (10 + random.nextInt(4))));
            }
            case 1 -> page.putShort(ORDERS + 2 * random.nextInt(2),
                    (short) (random.nextBoolean() ? random.nextInt(24) : random.nextInt()));
            case 2 -> page.put(LIVE + random.nextInt(2), (byte) (random.nextBoolean() ? random.nextInt(4) : random.nextInt()));
            case 3 -> page.put(NOTIFY + random.nextInt(2), (byte) random.nextInt());
            default -> page.putInt(GRANTS + 4 * random.nextInt((1024 - GRANTS) / 4), random.nextInt());
        }
        mutations++;
    }

    private int hostileValue(int current, int size) {
        return switch (random.nextInt(8)) {
            case 0 -> random.nextInt();
            case 1 -> 0;
            case 2 -> -1;
            case 3 -> current + random.nextInt(5) - 2;
            case 4 -> current + size;
            case 5 -> current + size + 1;
            case 6 -> current - size - 1;
            default -> current ^ (1 << random.nextInt(32));
        };
    }
}
