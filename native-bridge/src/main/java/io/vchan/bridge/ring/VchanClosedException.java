package io.vchan.bridge.ring;

import java.io.IOException;

/** The channel was closed (by us or by the peer) or shut down for writing. */
public class VchanClosedException extends IOException {

    public VchanClosedException(String message) {
        super(message);
    }
}
