package io.vchan.bridge.memory;

import static io.vchan.bridge.memory.XenAsserts.assertErrno;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vchan.bridge.xen.DomainId;
import io.vchan.bridge.xen.Errno;
import io.vchan.bridge.xen.EventChannels;
import io.vchan.bridge.xen.EventWaiter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class MemoryEventWaiterTest {

    private static final DomainId D0 = DomainId.DOM0;
    private static final DomainId D1 = DomainId.of(1);
    private static final DomainId D2 = DomainId.of(2);

    private final InMemoryPlatform platform = new InMemoryPlatform();

    @AfterEach
    void closePlatform() {
        platform.close();
        assertEquals(Resources.NONE, platform.resources());
    }

    private static List<EventChannels> awaitOnce(EventWaiter waiter, long timeoutMillis) throws Exception {
        List<EventChannels> ready = new ArrayList<>();
        waiter.await(timeoutMillis, ready::add);
        return ready;
    }

    /** A blocking await on another thread, once it is parked: the result is what it was handed. */
    private static Blocked<List<EventChannels>> blockedAwait(EventWaiter waiter) {
        return Blocked.call(() -> awaitOnce(waiter, -1)).untilParked();
    }

    @Test
    void await_returns_the_handles_with_events() throws Exception {
        try (EventWaiter waiter = platform.newEventWaiter();
                EventChannels server = platform.openEventChannels(D0);
                EventChannels client1 = platform.openEventChannels(D1);
                EventChannels client2 = platform.openEventChannels(D2)) {
            int p1 = server.bindUnbound(D1);
            int p2 = server.bindUnbound(D2);
            client1.bindInterdomain(D0, p1);
            client2.bindInterdomain(D0, p2);
            waiter.add(client1);
            waiter.add(client2);
            awaitOnce(waiter, 0); // consume the wakeups add() makes
            assertEquals(List.of(), awaitOnce(waiter, 0));

            server.notify(p2);
            assertEquals(List.of(client2), awaitOnce(waiter, 0));
        }
    }

    @Test
    void a_blocked_await_wakes_on_an_event_from_another_thread() throws Exception {
        try (EventWaiter waiter = platform.newEventWaiter();
                EventChannels server = platform.openEventChannels(D0);
                EventChannels client = platform.openEventChannels(D1)) {
            int sp = server.bindUnbound(D1);
            int cp = client.bindInterdomain(D0, sp);
            waiter.add(client);
            awaitOnce(waiter, 0);
            Blocked<List<EventChannels>> woke = blockedAwait(waiter);
            server.notify(sp);
            assertEquals(List.of(client), woke.get());
            assertEquals(cp, client.pollPending());
        }
    }

    @Test
    void wakeup_ends_a_blocked_await() throws Exception {
        try (EventWaiter waiter = platform.newEventWaiter()) {
            Blocked<List<EventChannels>> woke = blockedAwait(waiter);
            waiter.wakeup();
            assertEquals(List.of(), woke.get());
        }
    }

    @Test
    void an_await_with_a_timeout_returns_empty_handed() throws Exception {
        try (EventWaiter waiter = platform.newEventWaiter();
                EventChannels client = platform.openEventChannels(D1)) {
            waiter.add(client);
            awaitOnce(waiter, 0);
            long start = System.nanoTime();
            assertEquals(List.of(), awaitOnce(waiter, 50));
            assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(50), "it waited the timeout");
        }
    }

    @Test
    void it_is_level_triggered_like_poll() throws Exception {
        try (EventWaiter waiter = platform.newEventWaiter();
                EventChannels server = platform.openEventChannels(D0);
                EventChannels client = platform.openEventChannels(D1)) {
            int sp = server.bindUnbound(D1);
            int cp = client.bindInterdomain(D0, sp);
            server.notify(sp);
            // Added after the event arrived: still reported.
            waiter.add(client);
            assertEquals(List.of(client), awaitOnce(waiter, 0));
            // Not drained: reported again.
            assertEquals(List.of(client), awaitOnce(waiter, 0));
            assertEquals(cp, client.pollPending());
            assertEquals(List.of(), awaitOnce(waiter, 0));
        }
    }

    @Test
    void removed_and_closed_handles_are_not_reported() throws Exception {
        try (EventWaiter waiter = platform.newEventWaiter();
                EventChannels server = platform.openEventChannels(D0)) {
            EventChannels removed = platform.openEventChannels(D1);
            EventChannels closed = platform.openEventChannels(D2);
            int p1 = server.bindUnbound(D1);
            int p2 = server.bindUnbound(D2);
            removed.bindInterdomain(D0, p1);
            closed.bindInterdomain(D0, p2);
            waiter.add(removed);
            waiter.add(closed);
            waiter.remove(removed);
            server.notify(p1);
            server.notify(p2);
            closed.close();
            assertEquals(List.of(), awaitOnce(waiter, 0));
            removed.close();
        }
    }

    @Test
    void close_ends_a_blocked_await() throws Exception {
        EventWaiter waiter = platform.newEventWaiter();
        assertEquals(1, platform.resources().eventWaiters());
        Blocked<List<EventChannels>> woke = blockedAwait(waiter);
        waiter.close();
        assertEquals(List.of(), woke.get());
        assertEquals(0, platform.resources().eventWaiters());
        // Then it refuses to wait: a loop around it must not spin.
        assertErrno(Errno.EINVAL, () -> waiter.await(-1, h -> { }));
    }
}
