package io.vchan.bridge.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vchan.bridge.BlockingVchan;
import io.vchan.bridge.events.EventLoop;
import io.vchan.bridge.memory.InMemoryPlatform;
import io.vchan.bridge.memory.Resources;
import io.vchan.bridge.ring.VchanPath;
import io.vchan.bridge.xen.DomainId;
import java.time.Duration;

/** A connected server (dom0) and client (dom1) on a fresh in-JVM host; closing checks the host holds nothing. */
final class InJvmPair implements AutoCloseable {

    static final DomainId SERVER = DomainId.DOM0;
    static final DomainId CLIENT = DomainId.of(1);
    static final Duration TIMEOUT = Duration.ofSeconds(10);

    final InMemoryPlatform platform = new InMemoryPlatform();
    final EventLoop loop;
    final String path;
    final BlockingVchan server;
    final BlockingVchan client;

    InJvmPair(String port, int readMin, int writeMin) throws Exception {
        loop = EventLoop.start(platform, 1);
        path = VchanPath.conventional(SERVER, CLIENT, port);
        server = BlockingVchan.serve(loop, SERVER, CLIENT, path, readMin, writeMin);
        client = BlockingVchan.connect(loop, CLIENT, SERVER, path, TIMEOUT);
        assertTrue(server.awaitPeer(TIMEOUT));
    }

    @Override
    public void close() {
        client.close();
        server.close();
        loop.close();
        assertEquals(Resources.NONE, platform.resources());
        platform.close();
    }
}
