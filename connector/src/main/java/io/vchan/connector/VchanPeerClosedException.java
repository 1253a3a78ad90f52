package io.vchan.connector;

import io.vchan.bridge.ring.VchanClosedException;

/**
 * The peer closed (or crashed: vchan cannot tell the two apart) while we
 * still had bytes to write. A peer that closes after reading everything
 * ends the stream normally instead.
 */
public class VchanPeerClosedException extends VchanClosedException {

    private static final long serialVersionUID = 1L;

    public VchanPeerClosedException(String message) {
        super(message);
    }

    public VchanPeerClosedException(String message, Throwable cause) {
        super(message, cause);
    }
}
