package io.vchan.bridge.memory;

import io.vchan.bridge.xen.Errno;
import io.vchan.bridge.xen.EventChannels;
import io.vchan.bridge.xen.EventWaiter;
import io.vchan.bridge.xen.XenException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * Waits on several in-JVM event-channel handles at once: the handles call
 * {@link #ready} when a port is delivered to them, which wakes the waiter.
 * Like poll(2) it is level-triggered: a handle left with queued events is
 * reported again by the next {@link #await}. Closing it ends a blocked
 * await; a later await fails.
 *
 * <p>The waiter's lock is the last in the lock order: while holding it, no
 * handle or table lock is taken.
 */
final class MemoryEventWaiter implements EventWaiter {

    private final HandleRegistry registry;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition signalled = lock.newCondition();
    private final Set<MemoryEventChannels> handles = new LinkedHashSet<>();
    private final Set<MemoryEventChannels> readySet = new LinkedHashSet<>();
    private boolean woken;
    private boolean closed;

    MemoryEventWaiter(HandleRegistry registry) {
        this.registry = registry;
    }

    private static MemoryEventChannels ours(EventChannels channels) {
        if (!(channels instanceof MemoryEventChannels m)) {
            throw new IllegalArgumentException(channels + " is not an in-JVM event-channel handle");
        }
        return m;
    }

    @Override
    public void add(EventChannels channels) {
        MemoryEventChannels h = ours(channels);
        lock.lock();
        try {
            if (closed || !handles.add(h)) {
                return;
            }
        } finally {
            lock.unlock();
        }
        h.attach(this);
        wakeup();
    }

    @Override
    public void remove(EventChannels channels) {
        MemoryEventChannels h = ours(channels);
        h.detach(this);
        forget(h);
        wakeup();
    }

    /** A handle has queued events (called by the handle, maybe under the port table's lock). */
    void ready(MemoryEventChannels h) {
        lock.lock();
        try {
            if (handles.contains(h)) {
                readySet.add(h);
                signalled.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /** The handle closed or was removed: never report it again. */
    void forget(MemoryEventChannels h) {
        lock.lock();
        try {
            handles.remove(h);
            readySet.remove(h);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void await(long timeoutMillis, Consumer<EventChannels> ready) throws XenException {
        if (isClosed()) {
            // Not a silent return: a loop around await would spin on it (e.g. after the platform closed).
            throw new XenException("poll", Errno.EINVAL, "the event waiter is closed");
        }
        // Level-triggered: whatever is still queued counts, not only what arrives from now on.
        for (MemoryEventChannels h : snapshotHandles()) {
            if (h.hasPending()) {
                ready(h);
            }
        }
        List<MemoryEventChannels> fired;
        boolean interrupted = false;
        lock.lock();
        try {
            long left = timeoutMillis < 0 ? Long.MAX_VALUE : TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
            while (!closed && !woken && readySet.isEmpty() && left > 0) {
                try {
                    if (timeoutMillis < 0) {
                        signalled.await();
                    } else {
                        left = signalled.awaitNanos(left);
                    }
                } catch (InterruptedException e) {
                    // Like poll(2), which a Java interrupt does not end: only wakeup() does.
                    interrupted = true;
                }
            }
            woken = false;
            fired = new ArrayList<>(readySet);
            readySet.clear();
        } finally {
            lock.unlock();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        for (MemoryEventChannels h : fired) {
            if (!h.isClosed()) {
                ready.accept(h);
            }
        }
    }

    private boolean isClosed() {
        lock.lock();
        try {
            return closed;
        } finally {
            lock.unlock();
        }
    }

    private List<MemoryEventChannels> snapshotHandles() {
        lock.lock();
        try {
            return new ArrayList<>(handles);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void wakeup() {
        lock.lock();
        try {
            woken = true;
            signalled.signalAll();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        List<MemoryEventChannels> attached;
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            attached = new ArrayList<>(handles);
            handles.clear();
            readySet.clear();
            signalled.signalAll();
        } finally {
            lock.unlock();
        }
        for (MemoryEventChannels h : attached) {
            h.detach(this);
        }
        registry.closed(this);
    }
}
