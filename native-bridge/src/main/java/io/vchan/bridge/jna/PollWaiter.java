package io.vchan.bridge.jna;

import com.sun.jna.Memory;
import io.vchan.bridge.xen.EventChannels;
import io.vchan.bridge.xen.EventWaiter;
import io.vchan.bridge.xen.XenException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * poll(2) over the fds of event-channel handles, plus an eventfd to be woken.
 * One thread at a time awaits (an event-loop worker, or the one caller that
 * polls its own endpoint's handle); its buffers are freed by the collector,
 * never by {@link #close}, so a late await cannot touch freed memory.
 */
final class PollWaiter implements EventWaiter {

    private final List<JnaEventChannels> handles = new CopyOnWriteArrayList<>();
    private final int wakeFd;
    private final Memory one = new Memory(8);
    /** Where the wake-up eventfd's count is read to; as {@link #fds}, only for the awaiting thread. */
    private final Memory drained = new Memory(8);
    private Memory fds;
    private volatile boolean closed;

    PollWaiter() throws XenException {
        wakeFd = Calls.nonNegative(LibC.eventfd(0, LibC.EFD_CLOEXEC | LibC.EFD_NONBLOCK), "eventfd");
        one.setLong(0, 1);
    }

    @Override
    public void add(EventChannels channels) {
        handles.add((JnaEventChannels) channels);
        wakeup();
    }

    @Override
    public void remove(EventChannels channels) {
        handles.remove(channels);
        wakeup();
    }

    @Override
    public void await(long timeoutMillis, Consumer<EventChannels> ready) throws XenException {
        if (closed) {
            return;
        }
        List<JnaEventChannels> now = List.copyOf(handles);
        Memory fds = pollFds(now.size() + 1);
        PollFds.watchReadable(fds, 0, wakeFd);
        for (int i = 0; i < now.size(); i++) {
            PollFds.watchReadable(fds, i + 1, now.get(i).fd());
        }
        int timeout = (int) Math.max(-1, Math.min(Integer.MAX_VALUE, timeoutMillis));
        int n = LibC.poll(fds, now.size() + 1, timeout);
        if (n <= 0) {
            return; // timeout, or EINTR: the caller loops
        }
        if (PollFds.ready(fds, 0)) {
            LibC.read(wakeFd, drained, 8);
        }
        for (int i = 0; i < now.size(); i++) {
            if (PollFds.ready(fds, i + 1)) {
                ready.accept(now.get(i));
            }
        }
    }

    /**
     * The pollfd array, kept between waits (a wait is on the hot path of every
     * wake-up); grown when handles are added. Only the one awaiting thread uses it.
     */
    private Memory pollFds(int count) {
        if (fds == null || fds.size() < (long) PollFds.SIZE * count) {
            fds = new Memory((long) PollFds.SIZE * Math.max(count, 4));
        }
        return fds;
    }

    /**
     * Any thread (a delayed unmask, a consumer late after the loop closed):
     * under the lock that close takes, so it never writes to the fd number
     * after close gave it back to the system.
     */
    @Override
    public synchronized void wakeup() {
        if (!closed) {
            LibC.write(wakeFd, one, 8);
        }
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            LibC.close(wakeFd);
        }
    }
}
