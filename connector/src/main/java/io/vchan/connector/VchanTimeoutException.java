package io.vchan.connector;

/** Something the channel waited for did not happen in time. */
public class VchanTimeoutException extends VchanException {

    private static final long serialVersionUID = 1L;

    /** @param message what was waited for, and for how long */
    public VchanTimeoutException(String message) {
        super(message);
    }

    /**
     * @param message what was waited for, and for how long
     * @param cause   the underlying failure
     */
    public VchanTimeoutException(String message, Throwable cause) {
        super(message, cause);
    }
}
