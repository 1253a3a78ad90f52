package io.vchan.bridge.memory;

import static io.vchan.bridge.memory.XenAsserts.assertErrno;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vchan.bridge.xen.DomainId;
import io.vchan.bridge.xen.Errno;
import io.vchan.bridge.xen.EventChannels;
import io.vchan.bridge.xen.GrantMapper;
import io.vchan.bridge.xen.GrantSharer;
import io.vchan.bridge.xen.SharedPages;
import io.vchan.bridge.xen.XenStore;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class InMemoryPlatformTest {

    private static final DomainId D1 = DomainId.of(1);

    @Test
    void identity() {
        try (InMemoryPlatform platform = new InMemoryPlatform()) {
            assertEquals("in-jvm", platform.name());
            assertEquals(DomainId.DOM0, platform.selfDomain());
            assertEquals(Resources.NONE, platform.resources());
        }
    }

    @Test
    void two_platforms_are_two_hosts() throws Exception {
        try (InMemoryPlatform a = new InMemoryPlatform();
                InMemoryPlatform b = new InMemoryPlatform();
                XenStore xa = a.openXenStore(DomainId.DOM0);
                XenStore xb = b.openXenStore(DomainId.DOM0)) {
            xa.write(0, "/only/in/a", "1".getBytes(StandardCharsets.US_ASCII));
            assertTrue(xb.read(0, "/only/in/a").isEmpty());
        }
    }

    @Test
    void resources_count_what_is_held_and_close_releases_it() throws Exception {
        InMemoryPlatform platform = new InMemoryPlatform();
        EventChannels events = platform.openEventChannels(DomainId.DOM0);
        EventChannels peer = platform.openEventChannels(D1);
        int port = events.bindUnbound(D1);
        peer.bindInterdomain(DomainId.DOM0, port);
        GrantSharer sharer = platform.openGrantSharer(DomainId.DOM0);
        SharedPages pages = sharer.sharePageWithNotify(D1, true, 0, port);
        sharer.share(D1, 3, false);
        GrantMapper mapper = platform.openGrantMapper(D1);
        mapper.map(DomainId.DOM0, pages.refs(), true);
        XenStore xs = platform.openXenStore(D1);
        xs.watch("data", "t");
        xs.beginTransaction();
        platform.newEventWaiter().add(events);

        assertEquals(new Resources(5, 1, 4, 1, 2, 1, 1), platform.resources());
        platform.close();
        assertEquals(Resources.NONE, platform.resources());
        assertErrno(Errno.ECONNREFUSED, () -> platform.openXenStore(D1));
        assertErrno(Errno.ECONNREFUSED, platform::newEventWaiter);
        assertErrno(Errno.EINVAL, () -> events.notify(port));
        assertNotEquals(0, pages.memory().capacity());
    }
}
