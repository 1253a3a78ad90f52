package io.vchan.bridge.testing;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;

/**
 * The used heap once garbage collection has settled, for leak checks: what a
 * test run still holds, without the garbage it happened to leave.
 */
public final class SettledHeap {

    private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();
    /**
     * A direct buffer's cleaner outlives the collection that finds the buffer
     * dead: the reference handler runs it afterwards, and only the next
     * collection frees it. So at least three collections (see {@link #collect}).
     */
    private static final int MIN_COLLECTIONS = 3;
    /** Far more than settling takes; more means something keeps allocating. */
    private static final int MAX_COLLECTIONS = 20;

    private SettledHeap() {
    }

    /** Collects until the used heap stops decreasing and returns it, in bytes. */
    public static long usedBytes() throws InterruptedException {
        long used = collect();
        for (int i = 1; i < MAX_COLLECTIONS; i++) {
            long next = collect();
            if (i >= MIN_COLLECTIONS - 1 && next >= used) {
                return Math.min(used, next);
            }
            used = next;
        }
        return used;
    }

    public static String kib(long bytes) {
        return (bytes / 1024) + " KiB";
    }

    /**
     * One collection that really ran (System.gc() is only a request) and whose
     * references the reference handler has reached: it takes each
     * collection's references as one batch, in order, so once a sentinel of
     * this one is enqueued, every earlier collection's cleaners have run.
     */
    private static long collect() throws InterruptedException {
        ReferenceQueue<Object> queue = new ReferenceQueue<>();
        WeakReference<Object> sentinel = new WeakReference<>(new Object(), queue);
        for (int i = 0; ; i++) {
            System.gc();
            if (queue.remove(100) != null) {
                break;
            }
            if (i == MAX_COLLECTIONS) {
                throw new IllegalStateException("System.gc() collects nothing here (-XX:+DisableExplicitGC?)");
            }
        }
        Reference.reachabilityFence(sentinel); // a collected reference object would never be enqueued
        return MEMORY.getHeapMemoryUsage().getUsed();
    }
}
