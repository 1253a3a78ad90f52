package io.vchan.connector;

/** No server published the channel within the connect timeout ({@code vchan.connect-timeout}). */
public class VchanConnectTimeoutException extends VchanTimeoutException {

    private static final long serialVersionUID = 1L;

    /** @param message which channel, and how long the client waited */
    public VchanConnectTimeoutException(String message) {
        super(message);
    }

    /**
     * @param message which channel, and how long the client waited
     * @param cause   the underlying failure
     */
    public VchanConnectTimeoutException(String message, Throwable cause) {
        super(message, cause);
    }
}
