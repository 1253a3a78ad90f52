package io.vchan.bridge.memory;

import io.vchan.bridge.xen.DomainId;
import io.vchan.bridge.xen.EventChannels;
import io.vchan.bridge.xen.XenException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * An event-channel handle of one domain. Ports live in the host's
 * {@link PortTable}; this handle keeps the queue of delivered ports (what
 * Linux's evtchn device keeps in its ring) and tells waiters when it fills.
 */
final class MemoryEventChannels extends MemoryHandle implements EventChannels {

    private final PortTable ports;
    /** Guards the queue and the waiters; taken after the port table's lock, before a waiter's. */
    private final Object queueLock = new Object();
    private final ArrayDeque<Integer> delivered = new ArrayDeque<>();
    private final Set<MemoryEventWaiter> waiters = new LinkedHashSet<>();

    MemoryEventChannels(DomainId domain, HandleRegistry registry, PortTable ports) {
        super(domain, registry);
        this.ports = ports;
    }

    @Override
    public int bindUnbound(DomainId remote) throws XenException {
        ensureOpen("xenevtchn_bind_unbound_port");
        return ports.bindUnbound(this, remote);
    }

    @Override
    public int bindInterdomain(DomainId remote, int remotePort) throws XenException {
        ensureOpen("xenevtchn_bind_interdomain");
        return ports.bindInterdomain(this, remote, remotePort);
    }

    @Override
    public void unbind(int port) throws XenException {
        ensureOpen("xenevtchn_unbind");
        ports.unbind(this, port);
    }

    @Override
    public void notify(int port) throws XenException {
        ensureOpen("xenevtchn_notify");
        ports.notify(this, port);
    }

    @Override
    public void unmask(int port) throws XenException {
        ensureOpen("xenevtchn_unmask");
        ports.unmask(this, port);
    }

    @Override
    public int pollPending() throws XenException {
        ensureOpen("xenevtchn_pending");
        synchronized (queueLock) {
            Integer port = delivered.poll();
            return port == null ? -1 : port;
        }
    }

    /** Called by the port table, under its lock: a port of ours fired. */
    void deliver(int port) {
        List<MemoryEventWaiter> toWake;
        synchronized (queueLock) {
            delivered.add(port);
            toWake = new ArrayList<>(waiters);
        }
        for (MemoryEventWaiter w : toWake) {
            w.ready(this);
        }
    }

    /** Called by the port table, under its lock: a port of ours is unbound, drop its event. */
    void forget(int port) {
        synchronized (queueLock) {
            delivered.remove(port);
        }
    }

    boolean hasPending() {
        synchronized (queueLock) {
            return !delivered.isEmpty();
        }
    }

    /** A waiter starts watching us; if an event is already queued it hears of it at once. */
    void attach(MemoryEventWaiter waiter) {
        boolean pendingNow;
        synchronized (queueLock) {
            if (isClosed()) {
                return;
            }
            waiters.add(waiter);
            pendingNow = !delivered.isEmpty();
        }
        if (pendingNow) {
            waiter.ready(this);
        }
    }

    void detach(MemoryEventWaiter waiter) {
        synchronized (queueLock) {
            waiters.remove(waiter);
        }
    }

    @Override
    void release() {
        ports.closeAll(this);
        List<MemoryEventWaiter> attached;
        synchronized (queueLock) {
            delivered.clear();
            attached = new ArrayList<>(waiters);
            waiters.clear();
        }
        // A deliberately closed handle just leaves its waiters.
        for (MemoryEventWaiter w : attached) {
            w.forget(this);
        }
    }

    @Override
    public String toString() {
        return "in-JVM event channels of " + domain();
    }
}
