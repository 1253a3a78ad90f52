package io.vchan.bridge.jna;

import static io.vchan.bridge.jna.Calls.nonNull;

import com.sun.jna.Pointer;
import io.vchan.bridge.xen.DomainId;
import io.vchan.bridge.xen.GrantSharer;
import io.vchan.bridge.xen.SharedPages;
import io.vchan.bridge.xen.XenException;
import io.vchan.bridge.xen.XenPage;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicBoolean;

/** Shares pages through libxengnttab's {@code xengntshr_*}. */
final class JnaGrantSharer implements GrantSharer {


    private final Pointer handle;
    private final DomainId domain;
    private final AtomicBoolean closed = new AtomicBoolean();

    JnaGrantSharer(Pointer handle, DomainId domain) {
        this.handle = handle;
        this.domain = domain;
    }

    @Override
    public DomainId domain() {
        return domain;
    }

    @Override
    public SharedPages share(DomainId peer, int pages, boolean writable) throws XenException {
        if (pages <= 0) {
            throw new IllegalArgumentException("pages must be positive: " + pages);
        }
        int[] refs = new int[pages];
        Pointer p = nonNull(GnttabLib.xengntshr_share_pages(handle, peer.value(), pages, refs, writable ? 1 : 0),
                "xengntshr_share_pages");
        return new Shared(p, pages, refs);
    }

    @Override
    public SharedPages sharePageWithNotify(DomainId peer, boolean writable, int notifyOffset, int notifyPort)
            throws XenException {
        int[] ref = new int[1];
        Pointer p = nonNull(GnttabLib.xengntshr_share_page_notify(handle, peer.value(), ref, writable ? 1 : 0,
                notifyOffset, notifyPort), "xengntshr_share_page_notify");
        return new Shared(p, 1, ref);
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            GnttabLib.xengntshr_close(handle);
        }
    }

    private final class Shared implements SharedPages {
        private final Pointer address;
        private final int pages;
        private final int[] refs;
        private final ByteBuffer memory;
        private final AtomicBoolean released = new AtomicBoolean();

        Shared(Pointer address, int pages, int[] refs) {
            this.address = address;
            this.pages = pages;
            this.refs = refs;
            this.memory = address.getByteBuffer(0, (long) pages * XenPage.SIZE);
        }

        @Override
        public int[] refs() {
            return refs.clone();
        }

        @Override
        public ByteBuffer memory() {
            return memory;
        }

        @Override
        public void close() {
            if (released.compareAndSet(false, true)) {
                GnttabLib.xengntshr_unshare(handle, address, pages);
            }
        }
    }
}
