package io.vchan.connector;

import java.time.Duration;
import java.util.concurrent.TimeoutException;

/** No bytes moved either way for the configured idle timeout. */
public class VchanIdleTimeoutException extends TimeoutException {

    private static final long serialVersionUID = 1L;

    public VchanIdleTimeoutException(String what, Duration idle) {
        super(what + " moved no bytes for " + idle.toMillis() + " ms (vchan.idle-timeout)");
    }
}
