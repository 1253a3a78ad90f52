package io.vchan.connector.impl;

import io.vchan.bridge.ring.RingEndpoint;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.annotation.InternalApi;

/**
 * INTERNAL API: passes an endpoint opened on a blocking thread to its owner
 * (an actor or a stage), unless the owner stopped first. Whoever comes
 * second closes it: the opening thread if the owner had stopped, the owner if
 * an endpoint arrived that it never took. Nothing leaks either way.
 */
@InternalApi
public final class EndpointHandoff {

    private static final Object STOPPED = new Object();

    private final AtomicReference<Object> slot = new AtomicReference<>();

    /**
     * Opening thread: true if the owner may take {@code ep} (tell it so);
     * false if the owner has stopped, and {@code ep} is closed here.
     */
    public boolean offer(RingEndpoint ep) {
        if (slot.compareAndSet(null, ep)) {
            return true;
        }
        ep.close();
        return false;
    }

    /** Owner: it has taken {@code ep}; the next opening may offer another. */
    public void taken(RingEndpoint ep) {
        slot.compareAndSet(ep, null);
    }

    /**
     * Owner, as it stops: later offers are closed by their thread; returns what
     * was offered and is still in the slot, for the owner to close unless it holds it already.
     */
    public Optional<RingEndpoint> stop() {
        return slot.getAndSet(STOPPED) instanceof RingEndpoint ep ? Optional.of(ep) : Optional.empty();
    }
}
