package io.vchan.connector;

/**
 * The peer broke the vchan protocol: indices that claim more data or space
 * than the ring holds, bad ring orders, a grant list that overlaps a ring. The
 * channel is closed; other channels are unaffected.
 */
public class VchanProtocolException extends VchanException {

    private static final long serialVersionUID = 1L;

    /** @param message what the peer did, on which channel */
    public VchanProtocolException(String message) {
        super(message);
    }

    /**
     * @param message what the peer did, on which channel
     * @param cause   the underlying failure
     */
    public VchanProtocolException(String message, Throwable cause) {
        super(message, cause);
    }
}
