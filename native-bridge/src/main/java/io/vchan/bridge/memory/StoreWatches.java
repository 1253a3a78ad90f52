package io.vchan.bridge.memory;

import io.vchan.bridge.xen.Errno;
import io.vchan.bridge.xen.XenException;
import io.vchan.bridge.xen.XenStore.WatchEvent;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The registered watches. A watch on a path fires for every change at or
 * below it that its domain may read, once at registration, and for a removed
 * subtree also on watches set exactly on nodes inside it. A watch registered
 * with a relative path hears relative paths.
 */
final class StoreWatches {

    static final String INTRODUCE = "@introduceDomain";
    static final String RELEASE = "@releaseDomain";
    private static final Set<String> SPECIAL = Set.of(INTRODUCE, RELEASE);
    /** xensim's limit per connection. */
    static final int MAX_PER_HANDLE = 4096;

    private record Watch(MemoryXenStore owner, String path, int strip, String token) {
        void send(String changed) {
            String shown = changed.startsWith("/") && changed.length() >= strip ? changed.substring(strip) : changed;
            owner.deliver(new WatchEvent(shown, token));
        }
    }

    private final List<Watch> watches = new ArrayList<>();

    void add(MemoryXenStore owner, String given, String token) throws XenException {
        String abs;
        int strip = 0;
        if (given != null && given.startsWith("@")) {
            if (!SPECIAL.contains(given)) {
                throw new XenException("xs_watch", Errno.EINVAL, "unknown special watch " + given);
            }
            abs = given;
        } else {
            abs = StorePath.absolute(given, owner.domain(), "xs_watch");
            strip = abs.length() - given.length();
        }
        if (token == null) {
            throw new XenException("xs_watch", Errno.EINVAL, "no token");
        }
        int mine = 0;
        for (Watch w : watches) {
            if (w.owner != owner) {
                continue;
            }
            if (++mine >= MAX_PER_HANDLE) {
                throw new XenException("xs_watch", Errno.E2BIG, "too many watches on one handle");
            }
            if (w.path.equals(abs) && w.token.equals(token)) {
                throw new XenException("xs_watch", Errno.EEXIST, given + " is watched with token " + token);
            }
        }
        Watch w = new Watch(owner, abs, strip, token);
        watches.add(w);
        // Xen fires every new watch once, so the watcher reads the state it starts from.
        w.send(abs);
    }

    void remove(MemoryXenStore owner, String given, String token) throws XenException {
        String abs = given != null && given.startsWith("@") ? given
                : StorePath.absolute(given, owner.domain(), "xs_unwatch");
        for (Iterator<Watch> it = watches.iterator(); it.hasNext(); ) {
            Watch w = it.next();
            if (w.owner == owner && w.path.equals(abs) && w.token.equals(token)) {
                it.remove();
                return;
            }
        }
        throw new XenException("xs_unwatch", Errno.ENOENT, "no watch on " + given + " with token " + token);
    }

    void removeAll(MemoryXenStore owner) {
        watches.removeIf(w -> w.owner == owner);
    }

    int count() {
        return watches.size();
    }

    /** A node at {@code abs} was written, created, had its permissions set or is being removed. */
    void fire(String abs, StoreNode node) {
        for (Watch w : watches) {
            if (w.path.startsWith("/") && StorePath.atOrBelow(abs, w.path)
                    && node.allows(w.owner.domain(), false)) {
                w.send(abs);
            }
        }
    }

    /** The subtree under {@code abs} is being removed: watches set on nodes inside it fire too. */
    void fireRemovedDescendants(String abs, StoreNode node) {
        for (Map.Entry<String, StoreNode> e : node.children.entrySet()) {
            String sub = StorePath.child(abs, e.getKey());
            for (Watch w : watches) {
                if (w.path.equals(sub) && e.getValue().allows(w.owner.domain(), false)) {
                    w.send(sub);
                }
            }
            fireRemovedDescendants(sub, e.getValue());
        }
    }

    void fireSpecial(String name) {
        for (Watch w : watches) {
            if (w.path.equals(name)) {
                w.send(name);
            }
        }
    }
}
