package io.vchan.bridge.crash;

import static io.vchan.bridge.crash.CrashRig.TIMEOUT;
import static io.vchan.bridge.crash.CrashRig.US;
import static io.vchan.bridge.crash.CrashRig.VICTIM;
import static io.vchan.bridge.crash.CrashRig.driverArgs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vchan.bridge.BlockingVchan;
import io.vchan.bridge.jna.JnaPlatform.XensimStats;
import io.vchan.bridge.ring.RingEndpoint;
import io.vchan.bridge.ring.RingEndpoint.PeerState;
import io.vchan.bridge.ring.VchanClient;
import io.vchan.bridge.ring.VchanClosedException;
import io.vchan.bridge.testing.DriverReport;
import io.vchan.bridge.testing.PeerProcess;
import io.vchan.bridge.testing.SimulatedHost;
import io.vchan.bridge.xen.EventChannels;
import io.vchan.bridge.xen.GrantMapper;
import io.vchan.bridge.xen.XenException;
import io.vchan.bridge.xen.XenPlatform;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The peer SIGKILLed while the channel is being set up. Our client, already
 * waiting for the keys when the libxenvchan server publishes them, has the
 * server killed at each step of its connect: once the host has reclaimed the
 * server, connect fails within 100 ms with a VchanClosedException naming the
 * path, leaving nothing behind. Our server outlives a client killed before it
 * connected and serves the next one.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PeerKilledWhileConnectingTest {

    private static final int BYTES = 4096;

    private CrashRig rig;

    @BeforeAll
    void start() throws IOException {
        rig = new CrashRig();
        // what is timed is our connect, not the JVM's first failed Xen call (errno, exception classes)
        assertThrows(XenException.class, () -> rig.loop.channels(US).bindInterdomain(VICTIM, Integer.MAX_VALUE));
    }

    @AfterAll
    void stop() {
        System.out.println("crash matrix: worst time for a connect to fail on a killed server " + rig.worstMs()
                + " ms");
        rig.close();
    }

    /**
     * {@code point}: where in our connect (its {@code nth} time there) the kill
     * comes. The driver's 64 KiB rings are pages of their own: two maps.
     */
    @ParameterizedTest(name = "server killed {0}")
    @CsvSource({"before we bind its port, bindInterdomain, 1",
        "before we map its control page, mapPageWithNotify, 1",
        "before we map its rings, map, 1",
        "once we mapped its rings, map returned, 2"})
    void ourConnectFailsAtOnce(String when, String point, int nth) throws Exception {
        XensimStats baseline = rig.stats();
        String path = CrashRig.path(VICTIM, US);
        try (SimulatedHost host = SimulatedHost.sharedWithThisJvm()) {
            CompletableFuture<PeerProcess> victim = new CompletableFuture<>();
            AtomicLong goneAt = new AtomicLong();
            Map<String, Integer> seen = new ConcurrentHashMap<>();
            Hook hook = at -> {
                if (at.equals(point) && seen.merge(at, 1, Integer::sum) == nth) {
                    victim.get().kill();
                    // timed from here: killing and reaping are the host's part, not our connect's
                    rig.awaitVictimReaped(baseline);
                    goneAt.set(System.nanoTime());
                }
            };
            EventChannels channels = spy(EventChannels.class, rig.loop.channels(US), hook);
            XenPlatform platform = spy(XenPlatform.class, rig.platform, hook);
            AtomicLong failedAt = new AtomicLong();
            CompletableFuture<IOException> failed = CompletableFuture.supplyAsync(() -> {
                try (RingEndpoint connected = VchanClient.connect(platform, channels, VICTIM, path, TIMEOUT)) {
                    throw new AssertionError("connected to a dead server: " + connected);
                } catch (IOException e) {
                    failedAt.set(System.nanoTime());
                    return e;
                }
            });
            rig.await("our client waits for the keys", s -> s.watches() > baseline.watches());
            victim.complete(host.libxenvchanDriver(VICTIM.value(), driverArgs("server", path, "--wait-close")));
            IOException e = failed.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            long ms = (failedAt.get() - goneAt.get()) / 1_000_000;
            assertInstanceOf(VchanClosedException.class, e, e.toString());
            assertTrue(e.getMessage().contains(path), e.getMessage());
            System.out.println("  " + e.getMessage());
            rig.record(ms, "our client, server killed " + when + " (connect failed after it was gone)");
        }
        rig.awaitBaseline(baseline);
    }

    @Test
    void ourServerOutlivesAClientKilledBeforeConnectingAndServesTheNext() throws Exception {
        XensimStats baseline = rig.stats();
        String path = CrashRig.path(US, VICTIM);
        try (SimulatedHost host = SimulatedHost.sharedWithThisJvm()) {
            // stopped before our keys exist, it cannot have connected when it dies
            PeerProcess wouldBe = host.libxenvchanDriver(VICTIM.value(), driverArgs("client", path));
            wouldBe.suspend(TIMEOUT);
            try (BlockingVchan ours = BlockingVchan.serve(rig.loop, US, VICTIM, path, BYTES, BYTES)) {
                wouldBe.kill();
                rig.awaitVictimReaped(baseline);
                assertEquals(PeerState.WAITING, ours.endpoint().peerState());
                PeerProcess next = host.libxenvchanDriver(VICTIM.value(), driverArgs("client", path,
                        "--send", Integer.toString(BYTES), "--expect", Integer.toString(BYTES)));
                assertTrue(ours.awaitPeer(TIMEOUT), "the next client never came: " + next.describe());
                byte[] sent = new byte[BYTES];
                sent[7] = 42;
                ours.writeFully(ByteBuffer.wrap(sent), TIMEOUT);
                byte[] received = readToEnd(ours);
                next.assertSucceeds(TIMEOUT);
                assertEquals(new DriverReport(BYTES, sha256(sent)), DriverReport.received(next, TIMEOUT));
                assertEquals(DriverReport.sent(next, TIMEOUT), new DriverReport(received.length, sha256(received)));
            }
        }
        rig.awaitBaseline(baseline);
    }

    private static byte[] readToEnd(BlockingVchan ours) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        ByteBuffer chunk = ByteBuffer.allocate(BYTES);
        while (ours.read(chunk.clear(), TIMEOUT) >= 0) {
            all.write(chunk.array(), 0, chunk.position());
        }
        return all.toByteArray();
    }

    private static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    /** Told "NAME" before each call our connect makes and "NAME returned" after it. */
    private interface Hook {
        void at(String point) throws Exception;
    }

    /** {@code target}, telling {@code hook} of its calls; the mappers it opens are spied on too. */
    private static <T> T spy(Class<T> type, T target, Hook hook) {
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (p, m, args) -> {
            hook.at(m.getName());
            Object result;
            try {
                result = m.invoke(target, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
            hook.at(m.getName() + " returned");
            return result instanceof GrantMapper mapper ? spy(GrantMapper.class, mapper, hook) : result;
        }));
    }
}
