package io.vchan.bridge.events;

import io.vchan.bridge.xen.DomainId;
import io.vchan.bridge.xen.XenException;
import io.vchan.bridge.xen.XenStore;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Tells endpoints that their peer's domain was destroyed. On real Xen that is
 * the one peer death the protocol itself never shows: the dead domain's kernel
 * does not unmap (no live byte cleared, no event), and Xen does not signal the
 * other end of its event channels. The toolstack removes the domain's
 * {@code /local/domain/N} when it destroys it, so a XenStore watch there sees
 * it. Needs a privileged XenStore connection (dom0): a guest cannot watch
 * another domain's nodes. On xensim the same holds for a domain its
 * toolstack created and destroys ({@code xensim-xl destroy N}).
 */
final class PeerDomainWatch implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(PeerDomainWatch.class.getName());
    private static final long WAKE_MILLIS = 250;

    private final XenStore store;
    /** Registrations by key; each names its peer and what to run once it is gone. */
    private final Map<Object, Registration> registrations = new ConcurrentHashMap<>();
    private final Map<DomainId, Integer> watchedPeers = new ConcurrentHashMap<>();
    private final Thread thread;
    private volatile boolean closed;

    private record Registration(DomainId peer, Runnable onGone) {
    }

    PeerDomainWatch(XenStore store) {
        this.store = store;
        this.thread = new Thread(this::run, "vchan-peer-domains");
        thread.setDaemon(true);
        thread.start();
    }

    private static String domainPath(DomainId peer) {
        return "/local/domain/" + peer.value();
    }

    synchronized void watch(Object key, DomainId peer, Runnable onGone) throws XenException {
        if (watchedPeers.merge(peer, 1, Integer::sum) == 1) {
            try {
                // the watch fires once when set, so a peer already gone is seen at once
                store.watch(domainPath(peer), "peer-" + peer.value());
            } catch (XenException e) {
                watchedPeers.remove(peer);
                throw e;
            }
        }
        registrations.put(key, new Registration(peer, onGone));
    }

    synchronized void unwatch(Object key) {
        Registration r = registrations.remove(key);
        if (r != null && watchedPeers.merge(r.peer(), -1, Integer::sum) == 0) {
            watchedPeers.remove(r.peer());
            try {
                store.unwatch(domainPath(r.peer()), "peer-" + r.peer().value());
            } catch (XenException e) {
                LOG.log(Level.FINE, "unwatch of " + domainPath(r.peer()) + " failed", e);
            }
        }
    }

    private void run() {
        while (!closed) {
            try {
                Optional<XenStore.WatchEvent> event = store.awaitWatch(WAKE_MILLIS);
                if (event.isPresent() && event.get().token().startsWith("peer-")) {
                    checkPeer(DomainId.of(Integer.parseInt(event.get().token().substring(5))));
                }
            } catch (XenException | RuntimeException e) {
                if (!closed) {
                    LOG.log(Level.WARNING, "watching peer domains failed; destroyed peers go unnoticed", e);
                }
                return;
            }
        }
    }

    private void checkPeer(DomainId peer) throws XenException {
        if (store.read(0, domainPath(peer) + "/domid").isPresent()) {
            return;
        }
        // Tell first, log after, in a plain loop: this runs once per dead peer, so always cold, and
        // on a slow machine a call site's first lambda or stream costs more than the rest together.
        int told = 0;
        for (Registration r : registrations.values()) {
            if (r.peer().equals(peer)) {
                r.onGone().run();
                told++;
            }
        }
        if (LOG.isLoggable(Level.FINE)) {
            LOG.fine(peer + " was destroyed: told its " + told + " endpoint(s)");
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            thread.join(2 * WAKE_MILLIS + 1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        store.close();
    }
}
