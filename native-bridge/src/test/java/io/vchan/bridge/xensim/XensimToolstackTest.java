package io.vchan.bridge.xensim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vchan.bridge.BlockingVchan;
import io.vchan.bridge.events.EventLoop;
import io.vchan.bridge.jna.JnaPlatform;
import io.vchan.bridge.ring.NoSuchPeerDomainException;
import io.vchan.bridge.xen.DomainId;
import io.vchan.bridge.xen.Errno;
import io.vchan.bridge.xen.ToolstackDomain;
import io.vchan.bridge.xen.XenException;
import io.vchan.bridge.xen.XenStore;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The two real-Xen scenarios xensim's toolstack makes possible here: a server
 * refuses to publish for a domain that does not exist (XSA-322 would lock it
 * out), and a dom0 endpoint notices its peer's domain destroyed, which the
 * protocol never shows (no unmap notification, no event).
 */
class XensimToolstackTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    /** Ids no other test of this JVM's host uses. */
    private static final DomainId REFUSED = DomainId.of(4711);
    private static final DomainId DESTROYED = DomainId.of(4712);

    /** A domain created afresh: one a run that died left created is destroyed first. */
    private static void createFresh(JnaPlatform platform, DomainId domain) throws XenException {
        if (platform.toolstackDomain(domain) == ToolstackDomain.CREATED) {
            platform.xensimDestroyDomain(domain);
        }
        platform.xensimCreateDomain(domain);
        assertEquals(ToolstackDomain.CREATED, platform.toolstackDomain(domain));
    }

    /** Cleanup that leaves a test's own failure to be reported. */
    private static void destroyIfCreated(JnaPlatform platform, DomainId domain) throws XenException {
        if (platform.toolstackDomain(domain) == ToolstackDomain.CREATED) {
            platform.xensimDestroyDomain(domain);
        }
    }

    private static void removeIfThere(XenStore xs, String path) throws XenException {
        try {
            xs.remove(0, path);
        } catch (XenException e) {
            if (e.errno() != Errno.ENOENT) {
                throw e;
            }
        }
    }

    @Test
    void serverRefusesADestroyedDomainAndServesACreatedOne() throws Exception {
        JnaPlatform platform = JnaPlatform.xensim();
        String path = "/local/domain/0/data/vchan/" + REFUSED.value() + "/ts-refused";
        createFresh(platform, REFUSED);
        platform.xensimDestroyDomain(REFUSED);
        assertEquals(ToolstackDomain.DESTROYED, platform.toolstackDomain(REFUSED));
        try (EventLoop loop = EventLoop.start(platform, 1);
                XenStore xs = platform.openXenStore(DomainId.DOM0)) {
            removeIfThere(xs, path); // what a failed earlier run left in this host's tree
            assertThrows(NoSuchPeerDomainException.class,
                    () -> BlockingVchan.serve(loop, DomainId.DOM0, REFUSED, path, 1024, 1024));
            assertTrue(xs.read(0, path).isEmpty(), "a refused publication left " + path);

            // created again, it may be served
            platform.xensimCreateDomain(REFUSED);
            try (BlockingVchan server = BlockingVchan.serve(loop, DomainId.DOM0, REFUSED, path, 1024, 1024)) {
                assertEquals(REFUSED, server.endpoint().peerDomain());
                assertTrue(xs.read(0, path + "/ring-ref").isPresent(), "no ring-ref published");
            }
        } finally {
            destroyIfCreated(platform, REFUSED);
        }
    }

    @Test
    void destroyedPeerIsNoticedThroughXenStore() throws Exception {
        JnaPlatform platform = JnaPlatform.xensim();
        String path = "/local/domain/0/data/vchan/" + DESTROYED.value() + "/ts-gone";
        createFresh(platform, DESTROYED);
        try (EventLoop loop = EventLoop.start(platform, 1);
                BlockingVchan server = BlockingVchan.serve(loop, DomainId.DOM0, DESTROYED, path, 1024, 1024);
                BlockingVchan client = BlockingVchan.connect(loop, DESTROYED, DomainId.DOM0, path, TIMEOUT)) {
            assertTrue(server.awaitPeer(TIMEOUT), "the client did not connect");
            client.writeFully(ByteBuffer.wrap("hello".getBytes(StandardCharsets.US_ASCII)), TIMEOUT);
            ByteBuffer got = ByteBuffer.allocate(16);
            assertEquals(5, server.read(got, TIMEOUT));
            assertFalse(server.awaitPeerClosed(Duration.ofMillis(100)), "the live peer was seen closed");

            long start = System.nanoTime();
            platform.xensimDestroyDomain(DESTROYED);
            // Nothing reaches the server through the protocol: only the watch on
            // /local/domain/N tells it. (Checked before the client closes: its
            // close would clear its live byte, which a destroyed domain cannot.)
            assertTrue(server.awaitPeerClosed(TIMEOUT), "the destroyed peer was not noticed");
            long millis = (System.nanoTime() - start) / 1_000_000;
            System.out.println("[xensim] a destroyed peer domain noticed " + millis + " ms after the destroy began");
            // the bound for a crashed peer, as the kill tests have it
            assertTrue(millis < 100, "noticed only after " + millis + " ms");
        } finally {
            destroyIfCreated(platform, DESTROYED);
        }
    }
}
