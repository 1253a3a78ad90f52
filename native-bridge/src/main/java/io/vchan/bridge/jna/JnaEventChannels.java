package io.vchan.bridge.jna;

import static io.vchan.bridge.jna.Calls.nonNegative;

import com.sun.jna.Pointer;
import io.vchan.bridge.xen.DomainId;
import io.vchan.bridge.xen.Errno;
import io.vchan.bridge.xen.EventChannels;
import io.vchan.bridge.xen.XenException;
import java.util.concurrent.atomic.AtomicBoolean;

/** An event-channel handle over libxenevtchn. Its fd is readable while an event is pending. */
final class JnaEventChannels implements EventChannels {

    private final Pointer handle;
    private final DomainId domain;
    private final int fd;
    private final AtomicBoolean closed = new AtomicBoolean();

    JnaEventChannels(Pointer handle, DomainId domain) throws XenException {
        this.handle = handle;
        this.domain = domain;
        this.fd = nonNegative(EvtchnLib.xenevtchn_fd(handle), "xenevtchn_fd");
    }

    int fd() {
        return fd;
    }

    @Override
    public DomainId domain() {
        return domain;
    }

    @Override
    public int bindUnbound(DomainId remote) throws XenException {
        return nonNegative(EvtchnLib.xenevtchn_bind_unbound_port(handle, remote.value()),
                "xenevtchn_bind_unbound_port");
    }

    @Override
    public int bindInterdomain(DomainId remote, int remotePort) throws XenException {
        return nonNegative(EvtchnLib.xenevtchn_bind_interdomain(handle, remote.value(), remotePort),
                "xenevtchn_bind_interdomain");
    }

    @Override
    public void unbind(int port) throws XenException {
        nonNegative(EvtchnLib.xenevtchn_unbind(handle, port), "xenevtchn_unbind");
    }

    @Override
    public void notify(int port) throws XenException {
        ensureOpen("xenevtchn_notify");
        nonNegative(EvtchnLib.xenevtchn_notify(handle, port), "xenevtchn_notify");
    }

    /** Also called by consumers on their own threads, once they have looked at their ring. */
    @Override
    public void unmask(int port) throws XenException {
        ensureOpen("xenevtchn_unmask");
        nonNegative(EvtchnLib.xenevtchn_unmask(handle, port), "xenevtchn_unmask");
    }

    /** A call on a closed handle fails here rather than pass freed memory to the library. */
    private void ensureOpen(String call) throws XenException {
        if (closed.get()) {
            throw new XenException(call, Errno.EBADF, "the event-channel handle of " + domain + " is closed");
        }
    }

    @Override
    public int pollPending() throws XenException {
        if (!PollFds.readable(fd, 0)) {
            return -1;
        }
        return nonNegative(EvtchnLib.xenevtchn_pending(handle), "xenevtchn_pending");
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            EvtchnLib.xenevtchn_close(handle);
        }
    }
}
