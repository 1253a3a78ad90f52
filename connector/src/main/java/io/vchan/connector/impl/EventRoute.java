package io.vchan.connector.impl;

import org.apache.pekko.annotation.InternalApi;

/**
 * INTERNAL API: where the events of an endpoint's port go: to its actor, until a Flow stage
 * takes the data path over, and from then on straight to the stage, one
 * thread hop fewer per wake-up.
 */
@InternalApi
public final class EventRoute {

    private volatile Runnable taker;

    /** From now on {@code listener} runs (on the event loop thread) instead of the actor hearing of it. */
    public void take(Runnable listener) {
        taker = listener;
    }

    /** True once a stage drives the ring: the actor then must not copy to or from it. */
    boolean taken() {
        return taker != null;
    }

    /** Runs on the event loop thread. */
    void fire(Runnable toActor) {
        Runnable t = taker;
        (t != null ? t : toActor).run();
    }
}
