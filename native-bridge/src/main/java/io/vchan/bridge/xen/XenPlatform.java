package io.vchan.bridge.xen;

/**
 * Where vchan runs: real Xen, xensim, or the in-JVM platform. Handles are
 * opened as a domain; on real Xen that can only be the domain we run in.
 */
public interface XenPlatform extends AutoCloseable {

    String name();

    /** The domain this process runs as by default. */
    DomainId selfDomain();

    EventChannels openEventChannels(DomainId self) throws XenException;

    GrantSharer openGrantSharer(DomainId self) throws XenException;

    GrantMapper openGrantMapper(DomainId self) throws XenException;

    XenStore openXenStore(DomainId self) throws XenException;

    /** A new waiter over event-channel handles of this platform. */
    EventWaiter newEventWaiter() throws XenException;

    /** What this platform's own toolstack says of a domain (see {@link ToolstackDomain}). */
    default ToolstackDomain toolstackDomain(DomainId domain) throws XenException {
        return ToolstackDomain.UNMANAGED;
    }

    @Override
    void close();
}
