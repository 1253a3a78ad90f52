package io.vchan.bridge.xen;

/** Shares pages with another domain (libxengnttab's {@code xengntshr_*}). */
public interface GrantSharer extends AutoCloseable {

    int NO_NOTIFY = -1;

    DomainId domain();

    SharedPages share(DomainId peer, int pages, boolean writable) throws XenException;

    /**
     * Shares one page with an unmap notification: when it is unshared, or this
     * process dies, byte {@code notifyOffset} is cleared and {@code notifyPort}
     * signalled ({@link #NO_NOTIFY} for either to skip it).
     */
    SharedPages sharePageWithNotify(DomainId peer, boolean writable, int notifyOffset, int notifyPort)
            throws XenException;

    @Override
    void close();
}
