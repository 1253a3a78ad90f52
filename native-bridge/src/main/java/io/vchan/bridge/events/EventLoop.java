package io.vchan.bridge.events;

import io.vchan.bridge.xen.DomainId;
import io.vchan.bridge.xen.EventChannels;
import io.vchan.bridge.xen.EventWaiter;
import io.vchan.bridge.xen.XenException;
import io.vchan.bridge.xen.XenPlatform;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A fixed number of threads (default 1) that wait on the event channels of
 * every endpoint and hand "port P fired" to whoever registered P. Endpoints
 * of one local domain share one event-channel handle, so one poll covers them
 * all. A delivered port stays masked until its consumer has looked and
 * rearms it ({@link PortEvents}): an event that arrives meanwhile is pending,
 * delivered at the unmask, never lost; a flood of them is one.
 */
public final class EventLoop implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EventLoop.class);
    /** Events a worker takes from one handle before it polls again: its other handles get their turn. */
    static final int EVENTS_PER_TURN = 64;

    private final XenPlatform platform;
    private final List<Worker> workers = new ArrayList<>();
    private final Map<DomainId, EventChannels> handles = new ConcurrentHashMap<>();
    private final Map<EventChannels, Map<Integer, PortEvents>> listeners = new ConcurrentHashMap<>();
    /** Which worker polls a handle: its delayed unmasks go there. */
    private final Map<EventChannels, Worker> pollers = new ConcurrentHashMap<>();
    /** Handles that failed: no longer polled or handed out, closed with the loop. */
    private final List<EventChannels> retired = new ArrayList<>();
    private final AtomicInteger nextWorker = new AtomicInteger();
    /** Each local domain's XenStore watches, opened on first use. Guarded by this. */
    private final Map<DomainId, StoreWatches> storeWatches = new HashMap<>();
    /** In dom0, real Xen or xensim: sees peers' domains destroyed; opened on first use, else null. */
    private PeerDomainWatch peerDomains;
    private boolean peerDomainsTried;
    private volatile boolean closed;

    private record PortKey(EventChannels channels, int port) {
    }

    private EventLoop(XenPlatform platform) {
        this.platform = platform;
    }

    public static EventLoop start(XenPlatform platform, int threads) throws XenException {
        if (threads < 1) {
            throw new IllegalArgumentException("an event loop needs at least one thread, not " + threads);
        }
        EventLoop loop = new EventLoop(platform);
        try {
            for (int i = 0; i < threads; i++) {
                loop.workers.add(loop.new Worker(platform.newEventWaiter(), "vchan-events-" + i));
            }
        } catch (XenException | RuntimeException e) {
            loop.close();
            throw e;
        }
        loop.workers.forEach(Thread::start);
        return loop;
    }

    public XenPlatform platform() {
        return platform;
    }

    /** The shared event-channel handle of a local domain, opened on first use. */
    public synchronized EventChannels channels(DomainId self) throws XenException {
        if (closed) {
            throw new IllegalStateException("event loop is closed");
        }
        EventChannels h = handles.get(self);
        if (h == null) {
            h = platform.openEventChannels(self);
            listeners.put(h, new ConcurrentHashMap<>());
            handles.put(self, h);
            Worker w = workers.get(Math.floorMod(nextWorker.getAndIncrement(), workers.size()));
            pollers.put(h, w);
            w.waiter.add(h);
        }
        return h;
    }

    /**
     * The XenStore watches of a local domain: one connection and one thread for
     * all its waits on XenStore (a client's wait for its server's keys, dom0's
     * watch on peer domains). Opened on first use, again if it failed; closed
     * with the loop.
     */
    public synchronized StoreWatches storeWatches(DomainId self) throws XenException {
        if (closed) {
            throw new IllegalStateException("event loop is closed");
        }
        StoreWatches w = storeWatches.get(self);
        if (w == null || !w.isOpen()) {
            if (w != null) {
                w.close();
            }
            w = new StoreWatches(platform.openXenStore(self), "vchan-xenstore-" + self.value());
            storeWatches.put(self, w);
        }
        return w;
    }

    /**
     * Runs {@code listener} on a loop thread when {@code port} fires; it fires
     * again only once the consumer calls {@link PortEvents#rearm}. Keep the
     * listener short: it hands the event to the consumer. The port is unmasked
     * here, in case an earlier owner left it masked (a hand-over).
     */
    public PortEvents register(EventChannels channels, int port, Runnable listener) {
        Map<Integer, PortEvents> ports = listeners.get(channels);
        Worker poller = pollers.get(channels);
        if (ports == null || poller == null) {
            throw new IllegalArgumentException("handle " + channels + " is not one of this loop's");
        }
        PortEvents events = new PortEvents(channels, port, listener, poller.delayed);
        ports.put(port, events);
        events.unmask();
        return events;
    }

    /**
     * As {@link #register(EventChannels, int, Runnable)}, and if {@code peer}'s
     * domain is destroyed, runs {@code onPeerGone} and then {@code listener}
     * (from another thread). Only dom0 can see that, on real Xen or for a
     * domain xensim's toolstack created; elsewhere a peer's death shows in the
     * protocol itself (its unmap notification).
     */
    public PortEvents register(EventChannels channels, int port, DomainId peer, Runnable onPeerGone,
            Runnable listener) {
        PortEvents events = register(channels, port, listener);
        watchPeerDomain(new PortKey(channels, port), peer, () -> {
            onPeerGone.run();
            events.fire();
        });
        return events;
    }

    /**
     * For an endpoint that waits on its own handle rather than this loop's: runs
     * {@code onGone} (from another thread) if {@code peer}'s domain is destroyed
     * where only XenStore shows it, until {@link #unwatchPeerDomain} with the same key.
     */
    public void watchPeerDomain(Object key, DomainId peer, Runnable onGone) {
        PeerDomainWatch watch = destroyShowsOnlyInStore(peer) ? peerDomains() : null;
        if (watch != null) {
            try {
                watch.watch(key, peer, onGone);
            } catch (XenException e) {
                LOG.warn("cannot watch " + peer + "; its destruction will go unnoticed", e);
            }
        }
    }

    public void unwatchPeerDomain(Object key) {
        PeerDomainWatch watch;
        synchronized (this) {
            watch = peerDomains;
        }
        if (watch != null) {
            watch.unwatch(key);
        }
    }

    private boolean destroyShowsOnlyInStore(DomainId peer) {
        try {
            return platform.destroyShowsOnlyInStore(peer);
        } catch (XenException e) {
            LOG.warn("cannot ask about " + peer + "; its destruction will go unnoticed", e);
            return false;
        }
    }

    private synchronized PeerDomainWatch peerDomains() {
        if (!peerDomainsTried && !closed) {
            peerDomainsTried = true;
            if (platform.selfDomain().equals(DomainId.DOM0)) {
                try {
                    peerDomains = new PeerDomainWatch(storeWatches(DomainId.DOM0));
                } catch (XenException e) {
                    LOG.warn("no XenStore to watch peer domains with", e);
                }
            }
        }
        return peerDomains;
    }

    public void unregister(EventChannels channels, int port) {
        Map<Integer, PortEvents> ports = listeners.get(channels);
        if (ports != null) {
            ports.remove(port);
        }
        unwatchPeerDomain(new PortKey(channels, port));
    }

    /** Ports registered now, over all handles: for leak checks. */
    public int registeredPorts() {
        return listeners.values().stream().mapToInt(Map::size).sum();
    }

    /**
     * Takes up to {@link #EVENTS_PER_TURN} events of {@code h}: a registered
     * port's goes to its consumer and the port stays masked until it rearms; a
     * port nobody registers (not yet, or no longer) is unmasked at once.
     */
    private void dispatch(EventChannels h) {
        Map<Integer, PortEvents> ports = listeners.get(h);
        try {
            int port;
            for (int n = 0; n < EVENTS_PER_TURN && !closed && (port = h.pollPending()) >= 0; n++) {
                PortEvents events = ports == null ? null : ports.get(port);
                if (events != null) {
                    events.fire();
                } else {
                    unmask(h, port);
                }
            }
        } catch (XenException e) {
            if (!closed) {
                LOG.warn("event channels of " + h.domain() + " failed; waking all its endpoints", e);
                retire(h);
                if (ports != null) {
                    ports.values().forEach(PortEvents::fire);
                }
            }
        } catch (RuntimeException e) {
            LOG.error("an event listener failed", e);
        }
    }

    /**
     * Forgets a failed handle: nobody polls it any more, and the next
     * {@link #channels} for its domain opens a fresh one. Its endpoints,
     * woken by the caller, find their calls failing and close; the handle
     * itself is closed with the loop, as they may still hold it.
     */
    private void retire(EventChannels h) {
        for (Worker w : workers) {
            w.waiter.remove(h);
        }
        synchronized (this) {
            handles.remove(h.domain(), h);
            listeners.remove(h);
            pollers.remove(h);
            retired.add(h);
        }
    }

    /**
     * A port unbound after its event was delivered can no longer be unmasked
     * (EINVAL): that concerns only the endpoint that closed it, not the handle.
     */
    static void unmask(EventChannels h, int port) {
        try {
            h.unmask(port);
        } catch (XenException e) {
            LOG.debug("port " + port + " was unbound before its event was handled", e);
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        for (Worker w : workers) {
            w.waiter.wakeup();
        }
        List<StoreWatches> stores;
        synchronized (this) {
            stores = new ArrayList<>(storeWatches.values());
            storeWatches.clear();
        }
        stores.forEach(StoreWatches::close);
        for (Worker w : workers) {
            if (w.isAlive() && w != Thread.currentThread()) {
                try {
                    w.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        // only once no worker runs: a worker may still wake the others' waiters
        for (Worker w : workers) {
            w.waiter.close();
        }
        handles.values().forEach(EventChannels::close);
        handles.clear();
        synchronized (this) {
            retired.forEach(EventChannels::close);
            retired.clear();
        }
        listeners.clear();
        pollers.clear();
    }

    private final class Worker extends Thread {
        final EventWaiter waiter;
        final DelayedUnmasks delayed;

        Worker(EventWaiter waiter, String name) {
            super(name);
            this.waiter = waiter;
            this.delayed = new DelayedUnmasks(waiter::wakeup);
            setDaemon(true);
        }

        @Override
        public void run() {
            while (!closed) {
                try {
                    waiter.await(delayed.waitMillis(), EventLoop.this::dispatch);
                    delayed.unmaskDue();
                } catch (XenException e) {
                    LOG.error("event wait failed", e);
                    return;
                }
            }
        }
    }
}
