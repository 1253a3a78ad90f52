package io.vchan.connector;

import java.time.Duration;

/** No bytes moved either way for the configured idle timeout ({@code vchan.idle-timeout}). */
public class VchanIdleTimeoutException extends VchanTimeoutException {

    private static final long serialVersionUID = 1L;

    /**
     * @param what the channel
     * @param idle how long it was quiet
     */
    public VchanIdleTimeoutException(String what, Duration idle) {
        super(what + " moved no bytes for " + idle.toMillis() + " ms (vchan.idle-timeout)");
    }
}
