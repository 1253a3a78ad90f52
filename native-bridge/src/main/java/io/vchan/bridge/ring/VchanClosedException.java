package io.vchan.bridge.ring;

import java.io.IOException;

/** The channel was closed (by us or by the peer) or shut down for writing. */
public class VchanClosedException extends IOException {

    private static final long serialVersionUID = 1L;

    public VchanClosedException(String message) {
        super(message);
    }

    public VchanClosedException(String message, Throwable cause) {
        super(message, cause);
    }
}
