package io.vchan.bridge.memory;

import io.vchan.bridge.xen.DomainId;
import io.vchan.bridge.xen.GrantSharer;
import io.vchan.bridge.xen.SharedPages;
import io.vchan.bridge.xen.XenException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Shares pages of one domain; closing it revokes every share it made, firing their notifications. */
final class MemoryGrantSharer extends MemoryHandle implements GrantSharer {

    private final GrantTable table;
    private final Set<GrantTable.Share> shares = ConcurrentHashMap.newKeySet();

    MemoryGrantSharer(DomainId domain, HandleRegistry registry, GrantTable table) {
        super(domain, registry);
        this.table = table;
    }

    @Override
    public SharedPages share(DomainId peer, int pages, boolean writable) throws XenException {
        if (pages <= 0) {
            throw new IllegalArgumentException("pages must be positive: " + pages);
        }
        ensureOpen("xengntshr_share_pages");
        return track(table.share(domain(), peer, pages, writable, NO_NOTIFY, NO_NOTIFY));
    }

    @Override
    public SharedPages sharePageWithNotify(DomainId peer, boolean writable, int notifyOffset, int notifyPort)
            throws XenException {
        ensureOpen("xengntshr_share_page_notify");
        return track(table.share(domain(), peer, 1, writable, notifyOffset, notifyPort));
    }

    private SharedPages track(GrantTable.Share share) {
        shares.add(share);
        if (isClosed()) {
            // Closed while we shared: the close may have missed this one.
            revoke(share);
        }
        return new Shared(share);
    }

    private void revoke(GrantTable.Share share) {
        shares.remove(share);
        share.revoke();
    }

    @Override
    void release() {
        for (GrantTable.Share s : List.copyOf(shares)) {
            revoke(s);
        }
    }

    @Override
    public String toString() {
        return "in-JVM grant sharer of " + domain();
    }

    private final class Shared implements SharedPages {
        private final GrantTable.Share share;

        Shared(GrantTable.Share share) {
            this.share = share;
        }

        @Override
        public int[] refs() {
            return share.refs.clone();
        }

        @Override
        public ByteBuffer memory() {
            return share.memory;
        }

        @Override
        public void close() {
            revoke(share);
        }
    }
}
