package io.vchan.bridge.xen;

/** Maps pages other domains granted to us (libxengnttab's {@code xengnttab_*}). */
public interface GrantMapper extends AutoCloseable {

    int NO_NOTIFY = -1;

    DomainId domain();

    /** Maps {@code refs} of {@code granter} contiguously, all or nothing. */
    MappedPages map(DomainId granter, int[] refs, boolean writable) throws XenException;

    /**
     * Maps one page with an unmap notification: when it is unmapped, or this
     * process dies, byte {@code notifyOffset} is cleared and {@code notifyPort} signalled.
     */
    MappedPages mapPageWithNotify(DomainId granter, int ref, boolean writable, int notifyOffset,
            int notifyPort) throws XenException;

    @Override
    void close();
}
