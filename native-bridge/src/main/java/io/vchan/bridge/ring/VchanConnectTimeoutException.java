package io.vchan.bridge.ring;

import java.io.IOException;

/** No server published the channel within the connect timeout. */
public class VchanConnectTimeoutException extends IOException {

    public VchanConnectTimeoutException(String message) {
        super(message);
    }
}
