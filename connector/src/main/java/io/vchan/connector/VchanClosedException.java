package io.vchan.connector;

/**
 * The channel is closed (by us or by the peer) or shut down for writing: a
 * write or read issued now cannot be served.
 */
public class VchanClosedException extends VchanException {

    private static final long serialVersionUID = 1L;

    /** @param message which channel, and why it is closed */
    public VchanClosedException(String message) {
        super(message);
    }

    /**
     * @param message which channel, and why it is closed
     * @param cause   the underlying failure
     */
    public VchanClosedException(String message, Throwable cause) {
        super(message, cause);
    }
}
