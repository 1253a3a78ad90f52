package io.vchan.bridge.memory;

import io.vchan.bridge.xen.DomainId;
import io.vchan.bridge.xen.Errno;
import io.vchan.bridge.xen.XenException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The open handles and waiters of one simulated host, so the platform can
 * count them and close them all. A domain "arrives" with its first handle
 * and "leaves" with its last, as a process does on xensim.
 */
final class HandleRegistry {

    /** Makes a handle; runs under the registry's lock so a closing platform cannot miss it. */
    interface Factory<H extends MemoryHandle> {
        H create() throws XenException;
    }

    private final Consumer<DomainId> arrived;
    private final Consumer<DomainId> left;
    private final Set<MemoryHandle> handles = new LinkedHashSet<>();
    private final Set<MemoryEventWaiter> waiters = new LinkedHashSet<>();
    private final Map<DomainId, Integer> perDomain = new HashMap<>();
    private boolean closed;

    HandleRegistry(Consumer<DomainId> arrived, Consumer<DomainId> left) {
        this.arrived = arrived;
        this.left = left;
    }

    synchronized <H extends MemoryHandle> H open(DomainId domain, String call, Factory<H> factory)
            throws XenException {
        ensureOpen(call);
        H handle = factory.create();
        handles.add(handle);
        if (perDomain.merge(domain, 1, Integer::sum) == 1) {
            arrived.accept(domain);
        }
        return handle;
    }

    synchronized MemoryEventWaiter openWaiter() throws XenException {
        ensureOpen("poll");
        MemoryEventWaiter waiter = new MemoryEventWaiter(this);
        waiters.add(waiter);
        return waiter;
    }

    private void ensureOpen(String call) throws XenException {
        if (closed) {
            // What a caller of a daemon that went away sees on xensim.
            throw new XenException(call, Errno.ECONNREFUSED, "the in-JVM platform is closed");
        }
    }

    synchronized void closed(MemoryHandle handle) {
        if (handles.remove(handle) && perDomain.merge(handle.domain(), -1, Integer::sum) == 0) {
            perDomain.remove(handle.domain());
            left.accept(handle.domain());
        }
    }

    synchronized void closed(MemoryEventWaiter waiter) {
        waiters.remove(waiter);
    }

    synchronized int handleCount() {
        return handles.size();
    }

    synchronized int waiterCount() {
        return waiters.size();
    }

    /** Closes every handle open as {@code domain}, outside the lock, as a process's death does. */
    void closeDomain(DomainId domain) {
        List<AutoCloseable> open;
        synchronized (this) {
            open = new ArrayList<>(handles.stream().filter(h -> h.domain().equals(domain)).toList());
        }
        for (AutoCloseable c : open) {
            try {
                c.close();
            } catch (Exception ignored) {
                // closing the rest matters more
            }
        }
    }

    /** Refuses new handles and closes every open one, outside the lock: closing calls back here. */
    void closeAll() {
        List<AutoCloseable> open;
        synchronized (this) {
            closed = true;
            open = new ArrayList<>(waiters);
            open.addAll(handles);
        }
        for (AutoCloseable c : open) {
            try {
                c.close();
            } catch (Exception ignored) {
                // closing the rest matters more
            }
        }
    }
}
