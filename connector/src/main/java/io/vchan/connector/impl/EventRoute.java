package io.vchan.connector.impl;

import io.vchan.bridge.events.PortEvents;
import org.apache.pekko.annotation.InternalApi;

/**
 * INTERNAL API: where the events of an endpoint's port go: to its actor, until a Flow stage
 * takes the data path over, and from then on straight to the stage, one
 * thread hop fewer per wake-up.
 */
@InternalApi
public final class EventRoute {

    private volatile Runnable taker;
    /** The port's events, once the actor has registered it. */
    private volatile PortEvents events;
    /** Bytes moved at the last rearm: written by the actor, then by the stage that took over. */
    private volatile long movedAtRearm;

    /** The actor registered the port: events come through {@code registered}. */
    void attach(PortEvents registered) {
        events = registered;
    }

    /**
     * Whoever handled an event (the actor, or the stage that took over) has
     * looked at the ring: the port may fire again. The event had a cause if
     * the channel's state changed or bytes moved since the last rearm, by
     * this turn or any other path (a read that spun and found the data the
     * event was about); see {@link PortEvents#rearm}.
     */
    public void rearm(boolean stateChanged, long bytesMoved) {
        boolean progressed = stateChanged || bytesMoved != movedAtRearm;
        movedAtRearm = bytesMoved;
        PortEvents e = events;
        if (e != null) {
            e.rearm(progressed);
        }
    }

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
