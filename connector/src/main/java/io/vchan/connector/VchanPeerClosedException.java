package io.vchan.connector;

/**
 * The peer closed (or crashed: vchan cannot tell the two apart) while we
 * still had bytes to write. A peer that closes after reading everything
 * ends the stream normally instead.
 */
public class VchanPeerClosedException extends VchanClosedException {

    private static final long serialVersionUID = 1L;

    /** @param message which channel, and how many bytes were not delivered */
    public VchanPeerClosedException(String message) {
        super(message);
    }

    /**
     * @param message which channel, and how many bytes were not delivered
     * @param cause   the underlying failure
     */
    public VchanPeerClosedException(String message, Throwable cause) {
        super(message, cause);
    }
}
