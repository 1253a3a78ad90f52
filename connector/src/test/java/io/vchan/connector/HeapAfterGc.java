package io.vchan.connector;

import java.lang.management.ManagementFactory;

/** The heap in use once garbage is collected: what a test can compare before and after. */
final class HeapAfterGc {

    private HeapAfterGc() {
    }

    static long usedBytes() {
        // twice: objects with finalizers or reference queues need a second collection to go
        System.gc();
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
