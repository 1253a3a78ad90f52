package io.vchan.bridge;

import io.vchan.bridge.xen.EventChannels;
import io.vchan.bridge.xen.EventWaiter;
import io.vchan.bridge.xen.XenException;
import java.io.InterruptedIOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One endpoint's own event-channel handle, waited on by the caller thread
 * that needs to sleep, as libxenvchan waits in the reading thread: an event
 * wakes the waiter itself, not an event-loop thread that then wakes it.
 *
 * <p>A reader and a writer may wait at once: one of them polls the handle
 * (the leader), the other sleeps on a condition until the leader reports an
 * event or gives up the poll; then it may lead. Each delivered port is
 * unmasked before anyone looks at the ring again, so an event that comes
 * while they look is delivered anew, never lost.
 *
 * <p>Internal to {@link BlockingVchan}.
 */
final class OwnEventChannel implements AutoCloseable {

    /** Longest single poll: a leader looks at its thread's interrupt status this often. */
    private static final long POLL_SLICE_MILLIS = 250;

    private final EventChannels channels;
    private final EventWaiter waiter;
    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled when {@link #events} grows, the poll is given up or the channel closes. */
    private final Condition changed = lock.newCondition();
    private long events;
    private boolean polling;
    private boolean closed;
    /** A poll that failed: every later wait rethrows it. */
    private XenException failure;

    private OwnEventChannel(EventChannels channels, EventWaiter waiter) {
        this.channels = channels;
        this.waiter = waiter;
    }

    /** Takes {@code channels} and {@code waiter} over: both are closed with this. */
    static OwnEventChannel over(EventChannels channels, EventWaiter waiter) {
        waiter.add(channels);
        return new OwnEventChannel(channels, waiter);
    }

    EventChannels channels() {
        return channels;
    }

    /** Events seen so far: read it before looking at the ring, then wait for a later one. */
    long events() {
        lock.lock();
        try {
            return events;
        } finally {
            lock.unlock();
        }
    }

    /** Counts an event that did not come through the handle: the peer's domain died. */
    void fire() {
        lock.lock();
        try {
            countLocked();
            if (!closed) {
                waiter.wakeup(); // a leader in poll looks again too; under the lock, so never after close
            }
        } finally {
            lock.unlock();
        }
    }

    private void countLocked() {
        events++;
        changed.signalAll();
    }

    /** The handle failed: every waiter, now and later, rethrows {@code e}. */
    private void failed(XenException e) {
        lock.lock();
        try {
            failure = e;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Sleeps until an event after {@code seen}, the channel closes or the deadline passes;
     * false only on the deadline. The deadline is looked at first, even when an event came:
     * a peer that notifies in a loop must not keep a caller waiting past it.
     */
    boolean awaitEventAfter(long seen, long deadlineNanos) throws InterruptedIOException, XenException {
        lock.lock();
        try {
            while (!closed) {
                if (failure != null) {
                    throw failure;
                }
                if (Thread.interrupted()) {
                    throw new InterruptedIOException("interrupted while waiting on port events");
                }
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                if (events != seen) {
                    return true;
                }
                if (polling) {
                    changed.awaitNanos(left);
                } else {
                    lead(Math.min(POLL_SLICE_MILLIS, TimeUnit.NANOSECONDS.toMillis(left) + 1));
                }
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting on port events");
        } finally {
            lock.unlock();
        }
    }

    /** Called with the lock held; polls without it, so the other thread can count events and close. */
    private void lead(long timeoutMillis) {
        polling = true;
        lock.unlock();
        try {
            waiter.await(timeoutMillis, ready -> drain());
        } catch (XenException e) {
            failed(e);
        } finally {
            lock.lock();
            polling = false;
            changed.signalAll(); // a follower may lead now, and close may go on
        }
    }

    /** Delivered ports: unmasked, then counted (only our endpoint's port is bound here). */
    private void drain() {
        try {
            boolean any = false;
            for (int port; (port = channels.pollPending()) >= 0; ) {
                any = true;
                try {
                    channels.unmask(port);
                } catch (XenException e) {
                    // unbound by a close since delivery: the close wakes everyone anyway
                }
            }
            if (any) {
                lock.lock();
                try {
                    countLocked();
                } finally {
                    lock.unlock();
                }
            }
        } catch (XenException e) {
            failed(e);
        }
    }

    /** Wakes every waiter, waits for a leader to leave the poll, then releases the waiter and the handle. */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            changed.signalAll();
            waiter.wakeup();
            while (polling) {
                changed.awaitUninterruptibly();
            }
        } finally {
            lock.unlock();
        }
        waiter.remove(channels);
        waiter.close();
        channels.close();
    }
}
