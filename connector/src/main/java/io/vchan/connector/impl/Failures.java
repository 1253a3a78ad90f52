package io.vchan.connector.impl;

import io.vchan.bridge.ring.NoSuchPeerDomainException;
import io.vchan.bridge.xen.Errno;
import io.vchan.bridge.xen.XenException;
import io.vchan.connector.VchanClosedException;
import io.vchan.connector.VchanConnectTimeoutException;
import io.vchan.connector.VchanException;
import io.vchan.connector.VchanProtocolException;
import io.vchan.connector.VchanSetupException;
import java.io.IOException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.apache.pekko.annotation.InternalApi;

/**
 * INTERNAL API: what the connector reports is one of its API exceptions, never
 * a native-bridge type. Every failure leaving the connector (stream failure, a
 * failed future, a closed connection) passes through {@link #toApi}; the
 * bridge's exception stays reachable as the cause.
 */
@InternalApi
public final class Failures {

    private Failures() {
    }

    /** The failure inside a future's wrapping. */
    public static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /**
     * Our failures as API exceptions; anything else (a user's own exception
     * failing upstream, misuse reported as an unchecked exception) as it is.
     */
    public static Throwable toApi(Throwable failure) {
        Throwable t = unwrap(failure);
        if (t instanceof VchanException || !(t instanceof IOException)) {
            return t;
        }
        String m = t.getMessage();
        if (t instanceof io.vchan.bridge.ring.VchanClosedException) {
            return new VchanClosedException(m, t);
        }
        if (t instanceof io.vchan.bridge.ring.VchanProtocolException) {
            return new VchanProtocolException(m, t);
        }
        if (t instanceof io.vchan.bridge.ring.VchanConnectTimeoutException) {
            return new VchanConnectTimeoutException(m, t);
        }
        if (t instanceof XenException x) {
            return new VchanSetupException(m, x.errno(), t);
        }
        if (t instanceof NoSuchPeerDomainException) {
            return new VchanSetupException(m, Errno.ESRCH, t); // no such domain, as Xen's calls say it
        }
        return new VchanException(m, t);
    }
}
