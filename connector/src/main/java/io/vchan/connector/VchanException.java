package io.vchan.connector;

import java.io.IOException;

/**
 * The root of every failure the connector reports: a channel that could not be
 * set up, was closed, timed out, or met a peer that broke the protocol. All are
 * {@link IOException}s, as {@code java.net}'s are (a timeout included, as
 * {@code SocketTimeoutException} is), so one {@code catch} covers a channel.
 * Misuse (an invalid port name, a second read while one is pending) is an
 * {@link IllegalArgumentException} or {@link IllegalStateException} instead.
 */
public class VchanException extends IOException {

    private static final long serialVersionUID = 1L;

    /** @param message what failed, naming the channel */
    public VchanException(String message) {
        super(message);
    }

    /**
     * @param message what failed, naming the channel
     * @param cause   the underlying failure
     */
    public VchanException(String message, Throwable cause) {
        super(message, cause);
    }
}
