package io.vchan.bridge.memory;

import io.vchan.bridge.xen.DomainId;
import io.vchan.bridge.xen.Errno;
import io.vchan.bridge.xen.XenException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Every event-channel port of the host, with Xen's rules: port numbers are per
 * domain, lowest free first, from 1; an unbound port names the one domain that
 * may bind it; when one end of an interdomain channel goes away the other end
 * is unbound again, for the leaver's domain, so a new peer can bind it. A
 * delivered port is masked until unmasked; notifications meanwhile coalesce.
 *
 * <p>Lock order: this table, then a handle's queue, then a waiter.
 */
final class PortTable {

    /** Xen's 2-level ABI on 64-bit has 4096 ports; FIFO more. xensim allows 65535. */
    static final int MAX_PORTS = 65536;

    private final Map<DomainId, Map<Integer, Port>> domains = new HashMap<>();
    private int live;

    private Port lookup(DomainId domain, int number) {
        Map<Integer, Port> ports = domains.get(domain);
        return ports == null ? null : ports.get(number);
    }

    private Port allocate(DomainId domain) throws XenException {
        Map<Integer, Port> ports = domains.computeIfAbsent(domain, d -> new HashMap<>());
        int number = 1;
        while (ports.containsKey(number)) {
            number++;
        }
        if (number >= MAX_PORTS) {
            throw new XenException("xenevtchn_bind", Errno.ENOSPC, domain + " has no free port");
        }
        Port p = new Port(domain, number);
        ports.put(number, p);
        live++;
        return p;
    }

    /** The port if {@code owner} bound it, else EINVAL: a handle may use only its own ports. */
    private Port owned(MemoryEventChannels owner, int number, String call) throws XenException {
        Port p = lookup(owner.domain(), number);
        if (p == null || p.owner != owner) {
            throw new XenException(call, Errno.EINVAL, "port " + number + " is not bound by this handle");
        }
        return p;
    }

    synchronized int bindUnbound(MemoryEventChannels owner, DomainId remote) throws XenException {
        Port p = allocate(owner.domain());
        p.state = Port.State.UNBOUND;
        p.remote = remote;
        p.owner = owner;
        return p.number;
    }

    synchronized int bindInterdomain(MemoryEventChannels owner, DomainId remote, int remotePort)
            throws XenException {
        Port r = lookup(remote, remotePort);
        if (r == null || r.owner == null || r.state != Port.State.UNBOUND || !r.remote.equals(owner.domain())) {
            throw new XenException("xenevtchn_bind_interdomain", Errno.EINVAL,
                    "port " + remotePort + " of " + remote + " is not unbound for " + owner.domain());
        }
        Port p = allocate(owner.domain());
        p.state = Port.State.INTERDOMAIN;
        p.remote = remote;
        p.remotePort = remotePort;
        p.owner = owner;
        r.state = Port.State.INTERDOMAIN;
        r.remotePort = p.number;
        return p.number;
    }

    synchronized void unbind(MemoryEventChannels owner, int number) throws XenException {
        close(owned(owner, number, "xenevtchn_unbind"));
    }

    /**
     * EVTCHNOP_send. Xen drops a notification on an unbound port silently (the
     * peer may just have left); only a port that isn't ours is an error.
     */
    synchronized void notify(MemoryEventChannels owner, int number) throws XenException {
        send(owned(owner, number, "xenevtchn_notify"));
    }

    /**
     * Unmasks; Linux's evtchn device ignores ports the handle doesn't have, so a
     * port unbound between delivery and unmask is no error here either.
     */
    synchronized void unmask(MemoryEventChannels owner, int number) {
        Port p = lookup(owner.domain(), number);
        if (p == null || p.owner != owner) {
            return;
        }
        p.masked = false;
        if (p.pending) {
            deliver(p);
        }
    }

    /** Unbinds every port of a closing handle. */
    synchronized void closeAll(MemoryEventChannels owner) {
        Map<Integer, Port> ports = domains.get(owner.domain());
        if (ports == null) {
            return;
        }
        List<Port> mine = new ArrayList<>();
        for (Port p : ports.values()) {
            if (p.owner == owner) {
                mine.add(p);
            }
        }
        mine.forEach(this::close);
    }

    /** A reference for an unmap notification: keeps the port able to signal after its handle closes. */
    synchronized Port reference(DomainId domain, int number) throws XenException {
        Port p = lookup(domain, number);
        if (p == null || p.owner == null) {
            throw new XenException("xengnttab_notify", Errno.EINVAL,
                    "port " + number + " is not bound in " + domain);
        }
        p.notifyRefs++;
        return p;
    }

    /** Fires an unmap notification's event and drops its reference. */
    synchronized void sendAndRelease(Port p) {
        send(p);
        release(p);
    }

    /** Drops an unmap notification's reference without sending. */
    synchronized void release(Port p) {
        if (--p.notifyRefs == 0 && p.owner == null) {
            free(p);
        }
    }

    synchronized int count() {
        return live;
    }

    private void send(Port p) {
        if (p.state != Port.State.INTERDOMAIN) {
            return;
        }
        Port r = lookup(p.remote, p.remotePort);
        if (r == null || !r.isLinkedTo(p) || r.owner == null) {
            return;
        }
        if (r.masked) {
            r.pending = true;
        } else {
            deliver(r);
        }
    }

    private void deliver(Port p) {
        p.pending = false;
        p.masked = true;
        p.owner.deliver(p.number);
    }

    private void close(Port p) {
        MemoryEventChannels owner = p.owner;
        p.owner = null;
        if (owner != null) {
            owner.forget(p.number);
        }
        if (p.notifyRefs == 0) {
            free(p);
        }
    }

    /** Frees a port; its peer, if any, becomes unbound for this port's domain again. */
    private void free(Port p) {
        if (p.state == Port.State.INTERDOMAIN) {
            Port r = lookup(p.remote, p.remotePort);
            if (r != null && r.isLinkedTo(p)) {
                r.state = Port.State.UNBOUND;
                r.remote = p.domain;
                r.remotePort = 0;
            }
        }
        domains.get(p.domain).remove(p.number);
        live--;
    }
}
