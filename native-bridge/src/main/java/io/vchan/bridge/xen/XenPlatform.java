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

    /**
     * Whether a destroy of {@code peer}'s domain would show only in XenStore
     * (the toolstack removes {@code /local/domain/N}) and never in the protocol:
     * a destroyed domain's kernel does not unmap, and nothing signals its peers.
     * So on real Xen always; elsewhere only for a domain the platform's
     * toolstack created (an implicit one dies with its last process, whose
     * unmap notifications show it).
     */
    default boolean destroyShowsOnlyInStore(DomainId peer) throws XenException {
        return toolstackDomain(peer) == ToolstackDomain.CREATED;
    }

    @Override
    void close();
}
