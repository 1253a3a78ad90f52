package io.vchan.bridge.memory;

import io.vchan.bridge.xen.DomainId;
import io.vchan.bridge.xen.Errno;
import io.vchan.bridge.xen.XenException;
import io.vchan.bridge.xen.XenPage;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What happens when a share or mapping goes away: clear one byte of its first
 * page and signal a port. The port is held by reference, so the event is sent
 * even if its event-channel handle was closed first (as Linux's gntdev does).
 */
final class UnmapNotification {

    static final int NONE = -1;
    private static final VarHandle INT = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    private final PortTable ports;
    private final ByteBuffer page;
    private final int offset;
    private final Port port;
    private final AtomicBoolean fired = new AtomicBoolean();

    private UnmapNotification(PortTable ports, ByteBuffer page, int offset, Port port) {
        this.ports = ports;
        this.page = page;
        this.offset = offset;
        this.port = port;
    }

    /**
     * Checks and registers: {@code page} is a writable view of the page the byte
     * is in; {@code portNumber} must be bound in {@code domain}. Either may be {@link #NONE}.
     */
    static UnmapNotification register(PortTable ports, DomainId domain, ByteBuffer page, int offset, int portNumber,
            String call) throws XenException {
        if (offset != NONE && (offset < 0 || offset >= XenPage.SIZE)) {
            throw new XenException(call, Errno.EINVAL, "notify offset " + offset + " is outside the page");
        }
        if (portNumber != NONE && portNumber < 0) {
            throw new XenException(call, Errno.EINVAL, "notify port " + portNumber);
        }
        Port p = portNumber == NONE ? null : ports.reference(domain, portNumber);
        return new UnmapNotification(ports, page, offset, p);
    }

    /** Drops the registration without firing: what it was for was never made. */
    void discard() {
        if (fired.compareAndSet(false, true) && port != null) {
            ports.release(port);
        }
    }

    /** Runs once: clears the byte, then signals, so the peer sees the byte cleared when it wakes. */
    void fire() {
        if (!fired.compareAndSet(false, true)) {
            return;
        }
        if (offset != NONE) {
            // A CAS on the aligned word: atomic against the peer's atomics on its neighbours.
            int word = offset & ~3;
            int shift = 8 * (offset & 3);
            INT.getAndBitwiseAnd(page, word, ~(0xff << shift));
        }
        if (port != null) {
            ports.sendAndRelease(port);
        }
    }
}
