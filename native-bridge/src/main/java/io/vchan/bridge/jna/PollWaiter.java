package io.vchan.bridge.jna;

import com.sun.jna.Memory;
import io.vchan.bridge.xen.EventChannels;
import io.vchan.bridge.xen.EventWaiter;
import io.vchan.bridge.xen.XenException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/** poll(2) over the fds of event-channel handles, plus an eventfd to be woken. */
final class PollWaiter implements EventWaiter {

    private final List<JnaEventChannels> handles = new CopyOnWriteArrayList<>();
    private final int wakeFd;
    private final Memory one = new Memory(8);
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
        try (Memory fds = new Memory(8L * (now.size() + 1))) {
            fds.setInt(0, wakeFd);
            fds.setShort(4, LibC.POLLIN);
            fds.setShort(6, (short) 0);
            for (int i = 0; i < now.size(); i++) {
                fds.setInt(8L * (i + 1), now.get(i).fd());
                fds.setShort(8L * (i + 1) + 4, LibC.POLLIN);
                fds.setShort(8L * (i + 1) + 6, (short) 0);
            }
            int timeout = (int) Math.max(-1, Math.min(Integer.MAX_VALUE, timeoutMillis));
            int n = LibC.poll(fds, now.size() + 1, timeout);
            if (n <= 0) {
                return; // timeout, or EINTR: the caller loops
            }
            if (fds.getShort(6) != 0) {
                try (Memory drain = new Memory(8)) {
                    LibC.read(wakeFd, drain, 8);
                }
            }
            for (int i = 0; i < now.size(); i++) {
                if (fds.getShort(8L * (i + 1) + 6) != 0) {
                    ready.accept(now.get(i));
                }
            }
        }
    }

    @Override
    public void wakeup() {
        if (!closed) {
            LibC.write(wakeFd, one, 8);
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            LibC.close(wakeFd);
        }
    }
}
