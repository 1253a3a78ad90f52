package io.vchan.bridge.memory;

import io.vchan.bridge.xen.DomainId;
import io.vchan.bridge.xen.Errno;
import io.vchan.bridge.xen.XenException;
import io.vchan.bridge.xen.XenPage;
import java.nio.ByteBuffer;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Every grant of the host. A share of N pages is one page-aligned direct
 * buffer; each page gets a grant ref in the sharer's domain (lowest free,
 * from 8 as on Linux) naming the one domain that may map it, and whether
 * writably.
 *
 * <p>Mapping N refs gives one contiguous buffer. Java cannot stitch separate
 * buffers into one, so the refs must be consecutive pages, in order, of one
 * share (what vchan's server grants for each ring); anything else is refused
 * with EINVAL although Xen and xensim would map it. Mapping one ref always works.
 *
 * <p>A revoked share's memory stays valid for mappings made before (xensim
 * keeps the memfd, Linux defers the free); a buffer stays readable after
 * unmap too, as Java cannot unmap it: the protocol code must not rely on a fault.
 */
final class GrantTable {

    /** Linux keeps refs below 8 for itself. */
    static final int FIRST_REF = 8;
    /** xensim's limit on the pages of one share or mapping. */
    static final int MAX_PAGES = 4096;
    private static final int MAX_REFS = 1 << 20;

    private record Grant(Share share, int page, DomainId grantee, boolean writable) {
    }

    /** One share: its memory and the refs of its pages. */
    final class Share {
        final DomainId granter;
        final int[] refs;
        final ByteBuffer memory;
        private final UnmapNotification notification;
        private final AtomicBoolean revoked = new AtomicBoolean();

        private Share(DomainId granter, int[] refs, ByteBuffer memory, UnmapNotification notification) {
            this.granter = granter;
            this.refs = refs;
            this.memory = memory;
            this.notification = notification;
        }

        /** Revokes the grants and fires the unmap notification; idempotent. */
        void revoke() {
            if (revoked.compareAndSet(false, true)) {
                freeRefs(granter, refs);
                notification.fire();
            }
        }
    }

    /** One mapping: its view of the pages. */
    final class Mapping {
        final ByteBuffer memory;
        private final UnmapNotification notification;
        private final AtomicBoolean unmapped = new AtomicBoolean();

        private Mapping(ByteBuffer memory, UnmapNotification notification) {
            this.memory = memory;
            this.notification = notification;
        }

        /** Unmaps and fires the unmap notification; idempotent. */
        void unmap() {
            if (unmapped.compareAndSet(false, true)) {
                synchronized (GrantTable.this) {
                    liveMappings--;
                }
                notification.fire();
            }
        }
    }

    private final PortTable ports;
    private final Map<DomainId, Map<Integer, Grant>> grants = new HashMap<>();
    private final Map<DomainId, BitSet> usedRefs = new HashMap<>();
    private int liveGrants;
    private int liveMappings;

    GrantTable(PortTable ports) {
        this.ports = ports;
    }

    /** Zeroed, page-aligned memory: real pages are aligned, and so the control page's atomics are too. */
    private static ByteBuffer pages(int count) {
        int bytes = count * XenPage.SIZE;
        return ByteBuffer.allocateDirect(bytes + XenPage.SIZE).alignedSlice(XenPage.SIZE).slice(0, bytes);
    }

    Share share(DomainId granter, DomainId grantee, int count, boolean writable, int notifyOffset, int notifyPort)
            throws XenException {
        String call = notifyOffset == UnmapNotification.NONE && notifyPort == UnmapNotification.NONE
                ? "xengntshr_share_pages" : "xengntshr_share_page_notify";
        if (count <= 0 || count > MAX_PAGES) {
            throw new XenException(call, Errno.EINVAL, count + " pages: 1.." + MAX_PAGES + " can be shared at once");
        }
        ByteBuffer memory = pages(count);
        // Registered first: a bad port or offset must leave no grant behind.
        UnmapNotification notification = UnmapNotification.register(ports, granter, memory.slice(0, XenPage.SIZE),
                notifyOffset, notifyPort, call);
        synchronized (this) {
            int[] refs;
            try {
                refs = allocateRefs(granter, count, call);
            } catch (XenException e) {
                notification.discard();
                throw e;
            }
            Share share = new Share(granter, refs, memory, notification);
            Map<Integer, Grant> mine = grants.computeIfAbsent(granter, d -> new HashMap<>());
            for (int i = 0; i < count; i++) {
                mine.put(refs[i], new Grant(share, i, grantee, writable));
            }
            liveGrants += count;
            return share;
        }
    }

    private int[] allocateRefs(DomainId granter, int count, String call) throws XenException {
        BitSet used = usedRefs.computeIfAbsent(granter, d -> new BitSet());
        int[] refs = new int[count];
        int ref = FIRST_REF;
        for (int i = 0; i < count; i++) {
            ref = used.nextClearBit(ref);
            if (ref >= MAX_REFS) {
                for (int j = 0; j < i; j++) {
                    used.clear(refs[j]);
                }
                throw new XenException(call, Errno.ENOSPC, granter + " has no free grant refs");
            }
            refs[i] = ref;
            used.set(ref);
        }
        return refs;
    }

    private synchronized void freeRefs(DomainId granter, int[] refs) {
        Map<Integer, Grant> mine = grants.get(granter);
        BitSet used = usedRefs.get(granter);
        for (int ref : refs) {
            mine.remove(ref);
            used.clear(ref);
        }
        liveGrants -= refs.length;
    }

    Mapping map(DomainId mapper, DomainId granter, int[] refs, boolean writable, int notifyOffset, int notifyPort)
            throws XenException {
        boolean notify = notifyOffset != UnmapNotification.NONE || notifyPort != UnmapNotification.NONE;
        String call = notify ? "xengnttab_map_grant_ref_notify" : "xengnttab_map_domain_grant_refs";
        if (refs.length == 0 || refs.length > MAX_PAGES) {
            throw new XenException(call, Errno.EINVAL, refs.length + " refs: 1.." + MAX_PAGES + " can be mapped at once");
        }
        ByteBuffer memory;
        synchronized (this) {
            Map<Integer, Grant> theirs = grants.getOrDefault(granter, Map.of());
            Grant first = null;
            for (int i = 0; i < refs.length; i++) {
                Grant g = theirs.get(refs[i]);
                if (g == null || !g.grantee.equals(mapper)) {
                    throw new XenException(call, Errno.EINVAL,
                            "grant ref " + refs[i] + " of " + granter + " is not granted to " + mapper);
                }
                if (writable && !g.writable) {
                    throw new XenException(call, Errno.EACCES,
                            "grant ref " + refs[i] + " of " + granter + " is read-only");
                }
                if (i == 0) {
                    first = g;
                } else if (g.share != first.share || g.page != first.page + i) {
                    throw new XenException(call, Errno.EINVAL, "the in-JVM platform maps several refs only if"
                            + " they are consecutive pages of one share; refs " + refs[0] + " and " + refs[i]
                            + " are not");
                }
            }
            memory = first.share.memory.slice(first.page * XenPage.SIZE, refs.length * XenPage.SIZE);
        }
        // The byte is cleared through a writable view even of a read-only mapping, as xensim's daemon does.
        UnmapNotification notification = UnmapNotification.register(ports, mapper, memory.slice(0, XenPage.SIZE),
                notifyOffset, notifyPort, call);
        synchronized (this) {
            liveMappings++;
        }
        // A read-only mapping faults on any write: Java refuses first.
        return new Mapping(writable ? memory : memory.asReadOnlyBuffer(), notification);
    }

    synchronized int grantCount() {
        return liveGrants;
    }

    synchronized int mappingCount() {
        return liveMappings;
    }
}
