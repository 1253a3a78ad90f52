package io.vchan.bridge.memory;

import static io.vchan.bridge.memory.XenAsserts.assertErrno;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vchan.bridge.xen.DomainId;
import io.vchan.bridge.xen.Errno;
import io.vchan.bridge.xen.EventChannels;
import io.vchan.bridge.xen.GrantMapper;
import io.vchan.bridge.xen.GrantSharer;
import io.vchan.bridge.xen.MappedPages;
import io.vchan.bridge.xen.SharedPages;
import io.vchan.bridge.xen.XenPage;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class MemoryGrantsTest {

    private static final DomainId D0 = DomainId.DOM0;
    private static final DomainId D1 = DomainId.of(1);
    private static final DomainId D2 = DomainId.of(2);
    private static final int PAGE = XenPage.SIZE;

    private final InMemoryPlatform platform = new InMemoryPlatform();

    @AfterEach
    void closePlatform() {
        platform.close();
        assertEquals(Resources.NONE, platform.resources());
    }

    @Test
    void grantee_maps_the_same_memory_both_ways() throws Exception {
        try (GrantSharer sharer = platform.openGrantSharer(D0);
                GrantMapper mapper = platform.openGrantMapper(D1);
                SharedPages shared = sharer.share(D1, 2, true)) {
            assertEquals(2 * PAGE, shared.memory().capacity());
            assertTrue(shared.memory().isDirect());
            try (MappedPages mapped = mapper.map(D0, shared.refs(), true)) {
                ByteBuffer theirs = mapped.memory();
                assertEquals(2 * PAGE, theirs.capacity());
                shared.memory().putLong(PAGE + 8, 0x1122334455667788L);
                assertEquals(0x1122334455667788L, theirs.getLong(PAGE + 8));
                theirs.put(5, (byte) 42);
                assertEquals(42, shared.memory().get(5));
                assertEquals(1, platform.resources().liveMappings());
            }
            assertEquals(2, platform.resources().liveGrants());
        }
        assertEquals(0, platform.resources().liveGrants());
    }

    @Test
    void refs_start_at_8_and_freed_ones_are_reused() throws Exception {
        try (GrantSharer sharer = platform.openGrantSharer(D0)) {
            SharedPages a = sharer.share(D1, 2, true);
            SharedPages b = sharer.share(D1, 1, true);
            assertArrayEquals(new int[] {8, 9}, a.refs());
            assertArrayEquals(new int[] {10}, b.refs());
            a.close();
            try (SharedPages c = sharer.share(D1, 1, true)) {
                assertArrayEquals(new int[] {8}, c.refs());
            }
            b.close();
        }
    }

    @Test
    void only_the_grantee_may_map() throws Exception {
        try (GrantSharer sharer = platform.openGrantSharer(D0);
                GrantMapper other = platform.openGrantMapper(D2);
                GrantMapper self = platform.openGrantMapper(D0);
                SharedPages shared = sharer.share(D1, 1, true)) {
            assertErrno(Errno.EINVAL, () -> other.map(D0, shared.refs(), false));
            assertErrno(Errno.EINVAL, () -> self.map(D0, shared.refs(), false));
            assertEquals(0, platform.resources().liveMappings());
        }
    }

    @Test
    void unknown_refs_and_wrong_granter_are_refused() throws Exception {
        try (GrantSharer sharer = platform.openGrantSharer(D0);
                GrantMapper mapper = platform.openGrantMapper(D1);
                SharedPages shared = sharer.share(D1, 1, true)) {
            assertErrno(Errno.EINVAL, () -> mapper.map(D0, new int[] {shared.refs()[0] + 1}, false));
            assertErrno(Errno.EINVAL, () -> mapper.map(D2, shared.refs(), false));
            assertThrows(IllegalArgumentException.class, () -> mapper.map(D0, new int[0], false));
        }
    }

    @Test
    void a_revoked_grant_cannot_be_mapped() throws Exception {
        try (GrantSharer sharer = platform.openGrantSharer(D0);
                GrantMapper mapper = platform.openGrantMapper(D1)) {
            SharedPages shared = sharer.share(D1, 1, true);
            int[] refs = shared.refs();
            shared.close();
            assertErrno(Errno.EINVAL, () -> mapper.map(D0, refs, false));
        }
    }

    @Test
    void read_only_grants_map_read_only() throws Exception {
        try (GrantSharer sharer = platform.openGrantSharer(D0);
                GrantMapper mapper = platform.openGrantMapper(D1);
                SharedPages shared = sharer.share(D1, 1, false)) {
            assertErrno(Errno.EACCES, () -> mapper.map(D0, shared.refs(), true));
            assertEquals(0, platform.resources().liveMappings());
            try (MappedPages mapped = mapper.map(D0, shared.refs(), false)) {
                ByteBuffer view = mapped.memory();
                assertTrue(view.isReadOnly());
                assertThrows(ReadOnlyBufferException.class, () -> view.put(0, (byte) 1));
                shared.memory().put(100, (byte) 7);
                assertEquals(7, view.get(100));
            }
        }
    }

    @Test
    void a_writable_grant_may_be_mapped_read_only() throws Exception {
        try (GrantSharer sharer = platform.openGrantSharer(D0);
                GrantMapper mapper = platform.openGrantMapper(D1);
                SharedPages shared = sharer.share(D1, 1, true);
                MappedPages mapped = mapper.map(D0, shared.refs(), false)) {
            assertTrue(mapped.memory().isReadOnly());
        }
    }

    @Test
    void consecutive_pages_of_one_share_map_as_one_buffer() throws Exception {
        try (GrantSharer sharer = platform.openGrantSharer(D0);
                GrantMapper mapper = platform.openGrantMapper(D1);
                SharedPages shared = sharer.share(D1, 4, true)) {
            int[] refs = shared.refs();
            shared.memory().put(2 * PAGE, (byte) 0x5a);
            try (MappedPages middle = mapper.map(D0, new int[] {refs[1], refs[2]}, true)) {
                assertEquals(2 * PAGE, middle.memory().capacity());
                assertEquals(0x5a, middle.memory().get(PAGE));
            }
        }
    }

    @Test
    void mapping_is_all_or_nothing() throws Exception {
        try (GrantSharer sharer = platform.openGrantSharer(D0);
                GrantMapper mapper = platform.openGrantMapper(D1);
                SharedPages a = sharer.share(D1, 2, true);
                SharedPages b = sharer.share(D1, 1, true);
                SharedPages readOnly = sharer.share(D1, 1, false)) {
            int[] ra = a.refs();
            // Out of order, from two shares, one unknown, one read-only: each refuses the whole call.
            assertErrno(Errno.EINVAL, () -> mapper.map(D0, new int[] {ra[1], ra[0]}, true));
            assertErrno(Errno.EINVAL, () -> mapper.map(D0, new int[] {ra[0], ra[1], b.refs()[0]}, true));
            assertErrno(Errno.EINVAL, () -> mapper.map(D0, new int[] {ra[0], 4000}, true));
            assertErrno(Errno.EACCES, () -> mapper.map(D0, new int[] {readOnly.refs()[0]}, true));
            assertEquals(0, platform.resources().liveMappings());
        }
    }

    @Test
    void share_arguments_are_checked() throws Exception {
        try (GrantSharer sharer = platform.openGrantSharer(D0)) {
            assertThrows(IllegalArgumentException.class, () -> sharer.share(D1, 0, true));
            assertErrno(Errno.EINVAL, () -> sharer.share(D1, GrantTable.MAX_PAGES + 1, true));
            assertErrno(Errno.EINVAL, () -> sharer.sharePageWithNotify(D1, true, PAGE, GrantSharer.NO_NOTIFY));
            // Port 1 is not bound in dom0: nothing may be left behind.
            assertErrno(Errno.EINVAL, () -> sharer.sharePageWithNotify(D1, true, 0, 1));
            assertEquals(0, platform.resources().liveGrants());
        }
    }

    /** An interdomain channel: [0] is the mapper's (D1) handle and port, [1] the sharer's (D0). */
    private record Channel(EventChannels d1, int d1Port, EventChannels d0, int d0Port) {
    }

    private Channel channel() throws Exception {
        EventChannels d0 = platform.openEventChannels(D0);
        EventChannels d1 = platform.openEventChannels(D1);
        int d0Port = d0.bindUnbound(D1);
        int d1Port = d1.bindInterdomain(D0, d0Port);
        return new Channel(d1, d1Port, d0, d0Port);
    }

    @Test
    void unmapping_clears_the_byte_and_signals_the_peer() throws Exception {
        Channel ch = channel();
        try (GrantSharer sharer = platform.openGrantSharer(D0);
                GrantMapper mapper = platform.openGrantMapper(D1);
                SharedPages shared = sharer.share(D1, 1, true)) {
            ByteBuffer page = shared.memory();
            for (int i = 16; i < 28; i++) {
                page.put(i, (byte) 0x77);
            }
            MappedPages mapped = mapper.mapPageWithNotify(D0, shared.refs()[0], true, 21, ch.d1Port);
            assertEquals(-1, ch.d0.pollPending());
            mapped.close();
            assertEquals(0, page.get(21));
            for (int i = 16; i < 28; i++) {
                if (i != 21) {
                    assertEquals(0x77, page.get(i), "byte " + i + " must be untouched");
                }
            }
            assertEquals(ch.d0Port, ch.d0.pollPending());
            mapped.close();
            ch.d0.unmask(ch.d0Port);
            assertEquals(-1, ch.d0.pollPending(), "a second close fires nothing");
        } finally {
            ch.d0.close();
            ch.d1.close();
        }
    }

    @Test
    void unsharing_clears_the_byte_and_signals_the_peer() throws Exception {
        Channel ch = channel();
        try (GrantSharer sharer = platform.openGrantSharer(D0);
                GrantMapper mapper = platform.openGrantMapper(D1)) {
            SharedPages shared = sharer.sharePageWithNotify(D1, true, 20, ch.d0Port);
            try (MappedPages mapped = mapper.map(D0, shared.refs(), true)) {
                mapped.memory().put(20, (byte) 1);
                shared.close();
                assertEquals(0, mapped.memory().get(20));
                assertEquals(ch.d1Port, ch.d1.pollPending());
            }
        } finally {
            ch.d0.close();
            ch.d1.close();
        }
    }

    @Test
    void closing_the_handles_fires_the_notifications() throws Exception {
        Channel ch = channel();
        try {
            GrantSharer sharer = platform.openGrantSharer(D0);
            GrantMapper mapper = platform.openGrantMapper(D1);
            SharedPages shared = sharer.sharePageWithNotify(D1, true, 21, ch.d0Port);
            MappedPages mapped = mapper.mapPageWithNotify(D0, shared.refs()[0], true, 20, ch.d1Port);
            shared.memory().put(20, (byte) 1).put(21, (byte) 1);

            mapper.close();
            assertEquals(0, shared.memory().get(20));
            assertEquals(ch.d0Port, ch.d0.pollPending());
            assertEquals(0, platform.resources().liveMappings());

            sharer.close();
            assertEquals(0, shared.memory().get(21));
            assertEquals(ch.d1Port, ch.d1.pollPending());
            assertEquals(0, platform.resources().liveGrants());
            mapped.close(); // after its handle: nothing left to do
        } finally {
            ch.d0.close();
            ch.d1.close();
        }
    }

    @Test
    void the_notification_outlives_the_closed_event_channel_handle() throws Exception {
        Channel ch = channel();
        try (GrantSharer sharer = platform.openGrantSharer(D0);
                GrantMapper mapper = platform.openGrantMapper(D1);
                SharedPages shared = sharer.share(D1, 1, true)) {
            MappedPages mapped = mapper.mapPageWithNotify(D0, shared.refs()[0], true, 20, ch.d1Port);
            // The mapper's process lets its event channels go first, as a crash may.
            ch.d1.close();
            assertEquals(2, platform.resources().boundPorts(), "the notification keeps the port");
            assertEquals(-1, ch.d0.pollPending());
            mapped.close();
            assertEquals(ch.d0Port, ch.d0.pollPending(), "the event still reaches the peer");
            assertEquals(1, platform.resources().boundPorts(), "the kept port is freed once it fired");
            // ...and the peer's port is unbound for dom1 again.
            try (EventChannels again = platform.openEventChannels(D1)) {
                again.bindInterdomain(D0, ch.d0Port);
            }
        } finally {
            ch.d0.close();
        }
    }

    @Test
    void a_notify_port_must_be_bound_in_the_mapper_domain() throws Exception {
        Channel ch = channel();
        try (GrantSharer sharer = platform.openGrantSharer(D0);
                GrantMapper mapper = platform.openGrantMapper(D1);
                SharedPages shared = sharer.share(D1, 1, true)) {
            assertErrno(Errno.EINVAL, () -> mapper.mapPageWithNotify(D0, shared.refs()[0], true, 0, ch.d1Port + 1));
            assertErrno(Errno.EINVAL, () -> mapper.mapPageWithNotify(D0, shared.refs()[0], true, -2,
                    GrantMapper.NO_NOTIFY));
            assertEquals(0, platform.resources().liveMappings());
        } finally {
            ch.d0.close();
            ch.d1.close();
        }
    }

    @Test
    void a_closed_handle_refuses_calls() throws Exception {
        GrantSharer sharer = platform.openGrantSharer(D0);
        sharer.close();
        assertErrno(Errno.EINVAL, () -> sharer.share(D1, 1, true));
        GrantMapper mapper = platform.openGrantMapper(D1);
        mapper.close();
        assertErrno(Errno.EINVAL, () -> mapper.map(D0, new int[] {8}, false));
        assertFalse(platform.resources().openHandles() > 0);
    }
}
