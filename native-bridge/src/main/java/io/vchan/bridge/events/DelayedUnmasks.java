package io.vchan.bridge.events;

import java.util.ArrayDeque;

/**
 * The ports one loop worker unmasks later ({@link PortEvents}' delay for a
 * flooding peer). All have the same delay, so the queue is in order of their
 * time. The worker waits no longer than the first is due, and is woken when
 * the queue stops being empty.
 */
final class DelayedUnmasks {

    private record Due(PortEvents events, long atNanos) {
    }

    private final ArrayDeque<Due> queue = new ArrayDeque<>();
    private final Runnable wakeWorker;

    DelayedUnmasks(Runnable wakeWorker) {
        this.wakeWorker = wakeWorker;
    }

    void add(PortEvents events, long atNanos) {
        boolean first;
        synchronized (this) {
            first = queue.isEmpty();
            queue.add(new Due(events, atNanos));
        }
        if (first) {
            wakeWorker.run();
        }
    }

    /** How long the worker may wait for events before the first unmask is due: -1 for no limit. */
    synchronized long waitMillis() {
        Due first = queue.peek();
        if (first == null) {
            return -1;
        }
        long nanos = first.atNanos - System.nanoTime();
        return nanos <= 0 ? 0 : Math.max(1, nanos / 1_000_000);
    }

    /** Worker thread: unmasks every port whose time has come. */
    void unmaskDue() {
        long now = System.nanoTime();
        while (true) {
            Due due;
            synchronized (this) {
                due = queue.peek();
                if (due == null || due.atNanos - now > 0) {
                    return;
                }
                queue.poll();
            }
            due.events.unmask();
        }
    }
}
