package io.vchan.bridge.jna;

import static io.vchan.bridge.jna.Calls.nonNull;

import com.sun.jna.Pointer;
import io.vchan.bridge.xen.DomainId;
import io.vchan.bridge.xen.GrantMapper;
import io.vchan.bridge.xen.MappedPages;
import io.vchan.bridge.xen.XenException;
import io.vchan.bridge.xen.XenPage;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicBoolean;

/** Maps granted pages through libxengnttab's {@code xengnttab_*}. */
final class JnaGrantMapper implements GrantMapper {

    private static final int PROT_READ = 1;
    private static final int PROT_WRITE = 2;

    private final Pointer handle;
    private final DomainId domain;
    private final AtomicBoolean closed = new AtomicBoolean();

    JnaGrantMapper(Pointer handle, DomainId domain) {
        this.handle = handle;
        this.domain = domain;
    }

    @Override
    public DomainId domain() {
        return domain;
    }

    private static int prot(boolean writable) {
        return writable ? PROT_READ | PROT_WRITE : PROT_READ;
    }

    @Override
    public MappedPages map(DomainId granter, int[] refs, boolean writable) throws XenException {
        if (refs.length == 0) {
            throw new IllegalArgumentException("no grant refs to map");
        }
        Pointer p = nonNull(GnttabLib.xengnttab_map_domain_grant_refs(handle, refs.length, granter.value(),
                refs.clone(), prot(writable)), "xengnttab_map_domain_grant_refs");
        return new Mapped(p, refs.length, writable);
    }

    @Override
    public MappedPages mapPageWithNotify(DomainId granter, int ref, boolean writable, int notifyOffset,
            int notifyPort) throws XenException {
        Pointer p = nonNull(GnttabLib.xengnttab_map_grant_ref_notify(handle, granter.value(), ref, prot(writable),
                notifyOffset, notifyPort), "xengnttab_map_grant_ref_notify");
        return new Mapped(p, 1, writable);
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            GnttabLib.xengnttab_close(handle);
        }
    }

    private final class Mapped implements MappedPages {
        private final Pointer address;
        private final int pages;
        private final ByteBuffer memory;
        private final AtomicBoolean released = new AtomicBoolean();

        Mapped(Pointer address, int pages, boolean writable) {
            this.address = address;
            this.pages = pages;
            ByteBuffer all = address.getByteBuffer(0, (long) pages * XenPage.SIZE);
            // A read-only mapping faults on any write: make Java refuse first.
            this.memory = writable ? all : all.asReadOnlyBuffer();
        }

        @Override
        public ByteBuffer memory() {
            return memory;
        }

        @Override
        public void close() {
            if (released.compareAndSet(false, true)) {
                GnttabLib.xengnttab_unmap(handle, address, pages);
            }
        }
    }
}
