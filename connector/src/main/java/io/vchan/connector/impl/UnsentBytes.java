package io.vchan.connector.impl;

import io.vchan.connector.VchanPeerClosedException;
import org.apache.pekko.annotation.InternalApi;

/** INTERNAL API: the one way the connector says that the peer went while bytes of ours were still to go. */
@InternalApi
public final class UnsentBytes {

    private UnsentBytes() {
    }

    /** The peer closed {@code path} with {@code bytes} of ours not yet in the ring ({@code cause}: how we saw it). */
    public static VchanPeerClosedException peerClosed(String path, long bytes, Throwable cause) {
        String message = "the peer closed " + path + " with " + bytes + " bytes of ours not yet in the ring";
        return cause == null ? new VchanPeerClosedException(message) : new VchanPeerClosedException(message, cause);
    }
}
