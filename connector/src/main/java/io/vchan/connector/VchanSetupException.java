package io.vchan.connector;

/**
 * A channel could not be published or connected because Xen (or the
 * simulator) refused a step: XenStore, a grant, an event channel. Typical
 * causes: the peer domain may not read the keys (another domain's channel),
 * the peer domain does not exist, no free event channels.
 * {@link #errno()} says what the platform reported, where it reported one.
 */
public class VchanSetupException extends VchanException {

    private static final long serialVersionUID = 1L;

    /** The platform's errno, or 0. */
    private final int errno;

    /**
     * @param message which step failed, on which channel, and why
     * @param errno   the platform's errno, or 0 if it reported none
     * @param cause   the underlying failure
     */
    public VchanSetupException(String message, int errno, Throwable cause) {
        super(message, cause);
        this.errno = errno;
    }

    /**
     * The errno the platform reported, e.g. 13 ({@code EACCES}) for keys this
     * domain may not read, 3 ({@code ESRCH}) for a peer domain that does not
     * exist; 0 where the failure was not a platform call's.
     *
     * @return the errno, or 0
     */
    public int errno() {
        return errno;
    }
}
