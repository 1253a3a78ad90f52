package io.vchan.bridge.ring;

import java.io.IOException;

/**
 * The peer broke the vchan protocol: indices that claim more data or space
 * than the ring holds, bad ring orders, a grant list that overlaps a ring.
 * The channel is unusable; other channels are unaffected.
 */
public class VchanProtocolException extends IOException {

    public VchanProtocolException(String message) {
        super(message);
    }

    public VchanProtocolException(String message, Throwable cause) {
        super(message, cause);
    }
}
