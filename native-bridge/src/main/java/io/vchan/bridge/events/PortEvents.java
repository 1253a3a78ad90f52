package io.vchan.bridge.events;

import io.vchan.bridge.xen.EventChannels;
import java.util.concurrent.atomic.AtomicBoolean;
/**
 * The events of one registered port, as the loop hands them to the port's one
 * consumer. A delivered event leaves the port masked, so that whatever the
 * peer notifies meanwhile coalesces into one pending event, until the consumer
 * has looked at its ring and calls {@link #rearm}: a peer that notifies in a
 * tight loop (a flood) costs one consumer turn per turn, not one message per
 * notification. Turns that found nothing to do are the flood's mark; after
 * {@link #IDLE_TURNS_BEFORE_DELAY} of them in a row the port is unmasked only
 * a millisecond later, so a flooding peer gets at most about a thousand turns
 * a second of ours, and the first turn that moves data ends the delay.
 */
public final class PortEvents {

    /** More idle turns in a row than a polite peer causes: it notifies only when asked to, for a change. */
    static final int IDLE_TURNS_BEFORE_DELAY = 16;
    static final long IDLE_DELAY_NANOS = 1_000_000;

    private final EventChannels channels;
    private final int port;
    private final Runnable listener;
    private final DelayedUnmasks delayed;
    /** Set when an event is handed to the consumer, cleared by its {@link #rearm}: one turn at a time. */
    private final AtomicBoolean signalled = new AtomicBoolean();
    /** Only the consumer touches it, in {@link #rearm}, one turn at a time. */
    private int idleTurns;

    PortEvents(EventChannels channels, int port, Runnable listener, DelayedUnmasks delayed) {
        this.channels = channels;
        this.port = port;
        this.listener = listener;
        this.delayed = delayed;
    }

    /** Loop thread (or a peer-gone or failure path): tells the consumer, unless it is still on its turn. */
    void fire() {
        if (signalled.compareAndSet(false, true)) {
            listener.run();
        }
    }

    /**
     * The consumer has looked at its ring after an event: the port may fire
     * again. {@code progressed}: the turn moved data or changed state (an
     * idle turn is one a notification without cause made).
     */
    public void rearm(boolean progressed) {
        idleTurns = progressed ? 0 : idleTurns + 1;
        if (idleTurns > IDLE_TURNS_BEFORE_DELAY) {
            delayed.add(this, System.nanoTime() + IDLE_DELAY_NANOS);
        } else {
            unmask();
        }
    }

    /** Clears the turn, then unmasks: an event pending from before is delivered again, never lost. */
    void unmask() {
        signalled.set(false);
        EventLoop.unmask(channels, port);
    }
}
