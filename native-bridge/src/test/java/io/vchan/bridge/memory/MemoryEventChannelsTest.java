package io.vchan.bridge.memory;

import static io.vchan.bridge.memory.XenAsserts.assertErrno;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.vchan.bridge.xen.DomainId;
import io.vchan.bridge.xen.Errno;
import io.vchan.bridge.xen.EventChannels;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class MemoryEventChannelsTest {

    private static final DomainId D0 = DomainId.DOM0;
    private static final DomainId D1 = DomainId.of(1);
    private static final DomainId D2 = DomainId.of(2);

    private final InMemoryPlatform platform = new InMemoryPlatform();

    @AfterEach
    void closePlatform() {
        platform.close();
        assertEquals(Resources.NONE, platform.resources());
    }

    @Test
    void ports_are_numbered_per_domain_lowest_free_first() throws Exception {
        try (EventChannels a = platform.openEventChannels(D0);
                EventChannels b = platform.openEventChannels(D0);
                EventChannels c = platform.openEventChannels(D1)) {
            assertEquals(1, a.bindUnbound(D1));
            assertEquals(2, b.bindUnbound(D1));
            assertEquals(3, a.bindUnbound(D2));
            assertEquals(1, c.bindUnbound(D0), "another domain has its own numbers");
            a.unbind(1);
            assertEquals(1, b.bindUnbound(D2));
            assertEquals(4, platform.resources().boundPorts());
        }
        assertEquals(0, platform.resources().boundPorts());
    }

    @Test
    void only_the_named_domain_may_bind_an_unbound_port() throws Exception {
        try (EventChannels server = platform.openEventChannels(D0);
                EventChannels stranger = platform.openEventChannels(D2);
                EventChannels client = platform.openEventChannels(D1);
                EventChannels second = platform.openEventChannels(D1)) {
            int port = server.bindUnbound(D1);
            assertErrno(Errno.EINVAL, () -> stranger.bindInterdomain(D0, port));
            assertErrno(Errno.EINVAL, () -> client.bindInterdomain(D0, port + 1));
            assertErrno(Errno.EINVAL, () -> client.bindInterdomain(D2, port));
            int mine = client.bindInterdomain(D0, port);
            assertErrno(Errno.EINVAL, () -> second.bindInterdomain(D0, port));
            // An interdomain port is not unbound either, from either side.
            assertErrno(Errno.EINVAL, () -> server.bindInterdomain(D1, mine));
        }
    }

    @Test
    void notify_delivers_to_the_other_end_only() throws Exception {
        try (EventChannels server = platform.openEventChannels(D0);
                EventChannels client = platform.openEventChannels(D1)) {
            int sp = server.bindUnbound(D1);
            int cp = client.bindInterdomain(D0, sp);
            assertEquals(-1, client.pollPending());
            server.notify(sp);
            assertEquals(-1, server.pollPending());
            assertEquals(cp, client.pollPending());
            assertEquals(-1, client.pollPending());
            client.notify(cp);
            assertEquals(sp, server.pollPending());
        }
    }

    @Test
    void a_delivered_port_is_masked_and_notifications_coalesce() throws Exception {
        try (EventChannels server = platform.openEventChannels(D0);
                EventChannels client = platform.openEventChannels(D1)) {
            int sp = server.bindUnbound(D1);
            int cp = client.bindInterdomain(D0, sp);
            server.notify(sp);
            assertEquals(cp, client.pollPending());
            server.notify(sp);
            server.notify(sp);
            server.notify(sp);
            assertEquals(-1, client.pollPending(), "masked: nothing is delivered");
            client.unmask(cp);
            assertEquals(cp, client.pollPending(), "the three notifications arrive as one, at unmask");
            client.unmask(cp);
            assertEquals(-1, client.pollPending());
            server.notify(sp);
            assertEquals(cp, client.pollPending(), "unmasked again: delivered at once");
        }
    }

    @Test
    void notify_rules() throws Exception {
        try (EventChannels server = platform.openEventChannels(D0);
                EventChannels other = platform.openEventChannels(D0);
                EventChannels client = platform.openEventChannels(D1)) {
            int sp = server.bindUnbound(D1);
            assertErrno(Errno.EINVAL, () -> server.notify(sp + 7));
            assertErrno(Errno.EINVAL, () -> other.notify(sp));
            // Xen drops a notification on an unbound port silently.
            assertDoesNotThrow(() -> server.notify(sp));
            int cp = client.bindInterdomain(D0, sp);
            assertEquals(-1, client.pollPending(), "the dropped notification was not kept");
            assertErrno(Errno.EINVAL, () -> client.unbind(cp + 1));
            assertErrno(Errno.EINVAL, () -> other.unbind(sp));
            // Unmask of a port we don't have is ignored, as Linux's evtchn device does.
            assertDoesNotThrow(() -> client.unmask(cp + 5));
        }
    }

    @Test
    void when_a_client_leaves_the_port_is_unbound_for_its_domain_again() throws Exception {
        try (EventChannels server = platform.openEventChannels(D0);
                EventChannels stranger = platform.openEventChannels(D2)) {
            int sp = server.bindUnbound(D1);
            EventChannels first = platform.openEventChannels(D1);
            int cp = first.bindInterdomain(D0, sp);
            server.notify(sp);
            first.close();
            // The event queued for the closed handle is gone with it; the server's notify is now dropped.
            assertDoesNotThrow(() -> server.notify(sp));
            assertErrno(Errno.EINVAL, () -> stranger.bindInterdomain(D0, sp));
            try (EventChannels next = platform.openEventChannels(D1)) {
                int np = next.bindInterdomain(D0, sp);
                assertEquals(cp, np, "the freed client port number is reused");
                server.notify(sp);
                assertEquals(np, next.pollPending());
                next.unbind(np);
                try (EventChannels third = platform.openEventChannels(D1)) {
                    int tp = third.bindInterdomain(D0, sp);
                    third.notify(tp);
                    assertEquals(sp, server.pollPending());
                }
            }
        }
    }

    @Test
    void when_the_server_leaves_the_client_port_is_unbound_for_the_server_domain() throws Exception {
        try (EventChannels client = platform.openEventChannels(D1)) {
            EventChannels server = platform.openEventChannels(D0);
            int sp = server.bindUnbound(D1);
            int cp = client.bindInterdomain(D0, sp);
            server.unbind(sp);
            assertDoesNotThrow(() -> client.notify(cp));
            try (EventChannels newServer = platform.openEventChannels(D0);
                    EventChannels stranger = platform.openEventChannels(D2)) {
                assertErrno(Errno.EINVAL, () -> stranger.bindInterdomain(D1, cp));
                int np = newServer.bindInterdomain(D1, cp);
                client.notify(cp);
                assertEquals(np, newServer.pollPending());
            }
            server.close();
        }
    }

    @Test
    void unbinding_drops_a_queued_event() throws Exception {
        try (EventChannels server = platform.openEventChannels(D0);
                EventChannels client = platform.openEventChannels(D1)) {
            int sp = server.bindUnbound(D1);
            int cp = client.bindInterdomain(D0, sp);
            int sp2 = server.bindUnbound(D1);
            int cp2 = client.bindInterdomain(D0, sp2);
            server.notify(sp);
            server.notify(sp2);
            client.unbind(cp);
            assertEquals(cp2, client.pollPending());
            assertEquals(-1, client.pollPending());
            assertNotEquals(cp, cp2);
        }
    }

    @Test
    void a_domain_may_bind_its_own_unbound_port() throws Exception {
        try (EventChannels a = platform.openEventChannels(D1);
                EventChannels b = platform.openEventChannels(D1)) {
            int pa = a.bindUnbound(D1);
            int pb = b.bindInterdomain(D1, pa);
            a.notify(pa);
            assertEquals(pb, b.pollPending());
        }
    }

    @Test
    void closing_a_handle_unbinds_its_ports_and_refuses_calls() throws Exception {
        EventChannels h = platform.openEventChannels(D0);
        h.bindUnbound(D1);
        h.bindUnbound(D2);
        assertEquals(2, platform.resources().boundPorts());
        h.close();
        h.close();
        assertEquals(0, platform.resources().boundPorts());
        assertErrno(Errno.EINVAL, h::pollPending);
        assertErrno(Errno.EINVAL, () -> h.bindUnbound(D1));
    }
}
