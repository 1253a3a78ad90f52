package io.vchan.bridge.xen;

import java.util.function.Consumer;

/**
 * Waits on several event-channel handles at once (poll over their fds on
 * Xen and xensim), so one thread serves every endpoint.
 */
public interface EventWaiter extends AutoCloseable {

    void add(EventChannels channels);

    void remove(EventChannels channels);

    /**
     * Blocks until a handle may have pending events, {@link #wakeup()} is called or
     * {@code timeoutMillis} passes (-1: no limit); hands each ready handle to {@code ready}.
     * One thread at a time awaits.
     */
    void await(long timeoutMillis, Consumer<EventChannels> ready) throws XenException;

    /** Makes a blocked {@link #await} return; safe from any thread. */
    void wakeup();

    @Override
    void close();
}
