package io.vchan.bridge.memory;

import io.vchan.bridge.xen.DomainId;
import io.vchan.bridge.xen.Errno;
import io.vchan.bridge.xen.XenException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What every handle of the in-JVM platform shares: the domain it was opened
 * as, and a close that runs once and tells the platform.
 */
abstract class MemoryHandle implements AutoCloseable {

    private final DomainId domain;
    private final HandleRegistry registry;
    private final AtomicBoolean closed = new AtomicBoolean();

    MemoryHandle(DomainId domain, HandleRegistry registry) {
        this.domain = domain;
        this.registry = registry;
    }

    public DomainId domain() {
        return domain;
    }

    final boolean isClosed() {
        return closed.get();
    }

    /** A closed handle is like a closed fd: calls on it fail (EINVAL, as for a NULL handle in xensim). */
    final void ensureOpen(String call) throws XenException {
        if (closed.get()) {
            throw new XenException(call, Errno.EINVAL, "the " + domain + " handle is closed");
        }
    }

    /** Releases what the handle holds; runs once, on the first close. */
    abstract void release();

    @Override
    public final void close() {
        if (closed.compareAndSet(false, true)) {
            try {
                release();
            } finally {
                registry.closed(this);
            }
        }
    }
}
