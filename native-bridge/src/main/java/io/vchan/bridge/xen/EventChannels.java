package io.vchan.bridge.xen;

/**
 * An event-channel handle of one domain (libxenevtchn's {@code xenevtchn_handle}).
 * Ports are bound through it; closing it unbinds them all.
 *
 * <p>A delivered port stays masked until {@link #unmask}; notifications meanwhile
 * coalesce. Events may be spurious: whoever receives one re-checks its state.
 */
public interface EventChannels extends AutoCloseable {

    DomainId domain();

    /** A new port that exactly {@code remote} may bind to. */
    int bindUnbound(DomainId remote) throws XenException;

    /** Binds to {@code remotePort} of {@code remote}, which must be unbound for us. */
    int bindInterdomain(DomainId remote, int remotePort) throws XenException;

    void unbind(int port) throws XenException;

    /** Signals the other end of {@code port}'s channel. */
    void notify(int port) throws XenException;

    void unmask(int port) throws XenException;

    /** The next pending port, or -1 if none is pending now. Never blocks. */
    int pollPending() throws XenException;

    @Override
    void close();
}
