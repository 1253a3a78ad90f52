package io.vchan.bridge.events;

import io.vchan.bridge.xen.DomainId;
import io.vchan.bridge.xen.XenException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells endpoints that their peer's domain was destroyed. On real Xen that is
 * the one peer death the protocol itself never shows: the dead domain's kernel
 * does not unmap (no live byte cleared, no event), and Xen does not signal the
 * other end of its event channels. The toolstack removes the domain's
 * {@code /local/domain/N} when it destroys it, so a XenStore watch there sees
 * it. Needs a privileged XenStore connection (dom0): a guest cannot watch
 * another domain's nodes. On xensim the same holds for a domain its
 * toolstack created and destroys ({@code xensim-xl destroy N}).
 *
 * <p>One watch per peer domain, however many endpoints it has, on dom0's
 * shared {@link StoreWatches}.
 */
final class PeerDomainWatch {

    private static final Logger LOG = LoggerFactory.getLogger(PeerDomainWatch.class);

    private final StoreWatches watches;
    /** Registrations by key; each names its peer and what to run once it is gone. */
    private final Map<Object, Registration> registrations = new ConcurrentHashMap<>();
    /** Guarded by this. */
    private final Map<DomainId, Watched> watchedPeers = new HashMap<>();

    private record Registration(DomainId peer, Runnable onGone) {
    }

    private record Watched(StoreWatches.Watch watch, int count) {
    }

    PeerDomainWatch(StoreWatches watches) {
        this.watches = watches;
    }

    private static String domainPath(DomainId peer) {
        return "/local/domain/" + peer.value();
    }

    synchronized void watch(Object key, DomainId peer, Runnable onGone) throws XenException {
        Watched w = watchedPeers.get(peer);
        if (w == null) {
            // the watch fires once when set, so a peer already gone is seen at once
            w = new Watched(watches.watch(domainPath(peer), Long.MAX_VALUE, (x, changed) -> {
                if (mayMeanGone(peer, changed)) {
                    checkPeer(peer);
                }
            }), 0);
        }
        watchedPeers.put(peer, new Watched(w.watch(), w.count() + 1));
        registrations.put(key, new Registration(peer, onGone));
    }

    synchronized void unwatch(Object key) {
        Registration r = registrations.remove(key);
        if (r == null) {
            return;
        }
        Watched w = watchedPeers.get(r.peer());
        if (w.count() == 1) {
            watchedPeers.remove(r.peer());
            w.watch().cancel();
        } else {
            watchedPeers.put(r.peer(), new Watched(w.watch(), w.count() - 1));
        }
    }

    /**
     * Only the removal of the domain's directory (or of its domid) can mean it is gone. A
     * destruction first changes many nodes below it (devices, backends), each an event:
     * reading the store for each of those would queue the one that matters behind them.
     */
    private static boolean mayMeanGone(DomainId peer, String changed) {
        String home = domainPath(peer);
        return changed.equals(home) || changed.equals(home + "/domid");
    }

    /** On the watch thread. */
    private void checkPeer(DomainId peer) {
        try {
            if (watches.store().read(0, domainPath(peer) + "/domid").isPresent()) {
                return;
            }
        } catch (XenException e) {
            LOG.warn("cannot read " + domainPath(peer) + "; its destruction may go unnoticed", e);
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
        LOG.debug("{} was destroyed: told its {} endpoint(s)", peer, told);
    }
}
