package io.vchan.bridge.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vchan.bridge.BlockingVchan;
import io.vchan.bridge.events.EventLoop;
import io.vchan.bridge.ring.RingEndpoint;
import io.vchan.bridge.ring.VchanPath;
import io.vchan.bridge.ring.VchanServer;
import io.vchan.bridge.xen.DomainId;
import io.vchan.bridge.xen.XenStore;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The real vchan protocol code, both ends in this JVM over one in-JVM host. */
class InMemoryVchanTest {

    private static final DomainId SERVER = DomainId.DOM0;
    private static final DomainId CLIENT = DomainId.of(1);
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    /** What one side sent or received: a byte count and a SHA-256. */
    private record Digest(long bytes, byte[] sha256) {
    }

    private static Digest send(BlockingVchan vchan, long total, long seed) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        SplittableRandom random = new SplittableRandom(seed);
        byte[] chunk = new byte[20_000];
        long sent = 0;
        while (sent < total) {
            // Odd, varying sizes so writes straddle the ring's wrap-around.
            int n = (int) Math.min(total - sent, 1 + random.nextInt(chunk.length));
            random.nextBytes(chunk);
            sha.update(chunk, 0, n);
            vchan.writeFully(ByteBuffer.wrap(chunk, 0, n), TIMEOUT);
            sent += n;
        }
        vchan.shutdownWrite();
        return new Digest(sent, sha.digest());
    }

    private static Digest receive(BlockingVchan vchan) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        ByteBuffer buf = ByteBuffer.allocate(7_777);
        long received = 0;
        for (int n; (n = vchan.read(buf.clear(), TIMEOUT)) >= 0; ) {
            sha.update(buf.array(), 0, n);
            received += n;
        }
        return new Digest(received, sha.digest());
    }

    @ParameterizedTest(name = "read {0} / write {1}")
    @CsvSource({"1024, 2048", "65536, 262144"})
    void megabytes_each_way_then_nothing_left(int serverReadMin, int serverWriteMin) throws Exception {
        InMemoryPlatform platform = new InMemoryPlatform();
        String path = VchanPath.conventional(SERVER, CLIENT, "rt");
        long toClient = 3 * 1024 * 1024 + 17;
        long toServer = 2 * 1024 * 1024 + 5;
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try (EventLoop loop = EventLoop.start(platform, 1)) {
            BlockingVchan server = BlockingVchan.serve(loop, SERVER, CLIENT, path, serverReadMin, serverWriteMin);
            BlockingVchan client = BlockingVchan.connect(loop, CLIENT, SERVER, path, TIMEOUT);
            assertTrue(server.awaitPeer(TIMEOUT));
            assertEquals(RingEndpoint.PeerState.CONNECTED, client.endpoint().peerState());

            Future<Digest> serverSent = pool.submit(() -> send(server, toClient, 1));
            Future<Digest> clientSent = pool.submit(() -> send(client, toServer, 2));
            Future<Digest> clientGot = pool.submit(() -> receive(client));
            Future<Digest> serverGot = pool.submit(() -> receive(server));

            Digest s2c = serverSent.get(60, TimeUnit.SECONDS);
            Digest c2s = clientSent.get(60, TimeUnit.SECONDS);
            Digest atClient = clientGot.get(60, TimeUnit.SECONDS);
            Digest atServer = serverGot.get(60, TimeUnit.SECONDS);
            assertEquals(toClient, s2c.bytes());
            assertEquals(toClient, atClient.bytes());
            assertArrayEquals(s2c.sha256(), atClient.sha256());
            assertEquals(toServer, atServer.bytes());
            assertArrayEquals(c2s.sha256(), atServer.sha256());

            client.close();
            assertTrue(server.awaitPeerClosed(TIMEOUT), "the client's close reaches the server");
            server.close();
        } finally {
            pool.shutdownNow();
        }
        assertEquals(Resources.NONE, platform.resources());
        platform.close();
    }

    @Test
    void a_server_takes_a_second_client_after_the_first_left() throws Exception {
        InMemoryPlatform platform = new InMemoryPlatform();
        String path = VchanPath.conventional(SERVER, CLIENT, "again");
        try (EventLoop loop = EventLoop.start(platform, 1)) {
            BlockingVchan server = BlockingVchan.serve(loop, SERVER, CLIENT, path, 1024, 2048);
            for (int round = 1; round <= 3; round++) {
                BlockingVchan client = BlockingVchan.connect(loop, CLIENT, SERVER, path, TIMEOUT);
                assertTrue(server.awaitPeer(TIMEOUT));
                byte[] hello = ("hello " + round).getBytes();
                client.writeFully(ByteBuffer.wrap(hello), TIMEOUT);
                ByteBuffer got = ByteBuffer.allocate(hello.length);
                while (got.hasRemaining()) {
                    assertTrue(server.read(got, TIMEOUT) > 0);
                }
                assertArrayEquals(hello, got.array());
                client.close();
                assertTrue(server.awaitPeerClosed(TIMEOUT));
                // Xen put the server's port back to unbound for dom1: the next client can bind it.
                VchanServer.republish(platform, server.endpoint());
            }
            server.close();
            try (XenStore xs = platform.openXenStore(SERVER)) {
                assertFalse(xs.read(0, path + "/ring-ref").isPresent(), "the server unpublished at close");
            }
        }
        assertEquals(Resources.NONE, platform.resources());
        platform.close();
    }

    @Test
    void a_client_that_scribbled_on_orders_and_grant_refs_does_not_break_the_next() throws Exception {
        InMemoryPlatform platform = new InMemoryPlatform();
        String path = VchanPath.conventional(SERVER, CLIENT, "scribble");
        try (EventLoop loop = EventLoop.start(platform, 1)) {
            BlockingVchan server = BlockingVchan.serve(loop, SERVER, CLIENT, path, 65536, 65536);
            BlockingVchan first = BlockingVchan.connect(loop, CLIENT, SERVER, path, TIMEOUT);
            assertTrue(server.awaitPeer(TIMEOUT));
            // the first client, hostile, rewrites what only the server writes: orders and grant refs
            try (XenStore xs = platform.openXenStore(CLIENT);
                    var mapper = platform.openGrantMapper(CLIENT)) {
                int ref = Integer.parseInt(new String(xs.read(0, path + "/ring-ref").orElseThrow()));
                try (var page = mapper.map(SERVER, new int[] {ref}, true)) {
                    ByteBuffer b = page.memory().order(java.nio.ByteOrder.LITTLE_ENDIAN);
                    b.putShort(16, (short) 12).putShort(18, (short) 20);
                    for (int slot = 24; slot < 24 + 4 * 32; slot += 4) {
                        b.putInt(slot, 0x7fffffff);
                    }
                }
            }
            first.close();
            assertTrue(server.awaitPeerClosed(TIMEOUT));
            VchanServer.republish(platform, server.endpoint());

            // the next client finds the page as the server published it
            BlockingVchan next = BlockingVchan.connect(loop, CLIENT, SERVER, path, TIMEOUT);
            assertTrue(server.awaitPeer(TIMEOUT));
            byte[] hello = "after the scribbler".getBytes();
            next.writeFully(ByteBuffer.wrap(hello), TIMEOUT);
            ByteBuffer got = ByteBuffer.allocate(hello.length);
            while (got.hasRemaining()) {
                assertTrue(server.read(got, TIMEOUT) > 0);
            }
            assertArrayEquals(hello, got.array());
            next.close();
            server.close();
        }
        assertEquals(Resources.NONE, platform.resources());
        platform.close();
    }

    @Test
    void closing_the_platform_releases_what_users_forgot() throws Exception {
        InMemoryPlatform platform = new InMemoryPlatform();
        String path = VchanPath.conventional(SERVER, CLIENT, "leak");
        EventLoop loop = EventLoop.start(platform, 1);
        BlockingVchan server = BlockingVchan.serve(loop, SERVER, CLIENT, path, 65536, 65536);
        BlockingVchan.connect(loop, CLIENT, SERVER, path, TIMEOUT);
        assertTrue(server.awaitPeer(TIMEOUT));
        Resources held = platform.resources();
        assertEquals(2, held.boundPorts());
        assertEquals(1 + 16 + 16, held.liveGrants(), "control page and two 64 KiB rings");
        assertEquals(3, held.liveMappings());
        assertEquals(1 + 2, held.eventWaiters(), "the loop's, and each blocking endpoint's own");
        platform.close();
        assertEquals(Resources.NONE, platform.resources());
        loop.close();
    }
}
