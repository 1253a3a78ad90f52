package io.vchan.bridge.crash;

import static io.vchan.bridge.crash.CrashRig.TIMEOUT;
import static io.vchan.bridge.crash.CrashRig.US;
import static io.vchan.bridge.crash.CrashRig.VICTIM;
import static io.vchan.bridge.crash.CrashRig.driverArgs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vchan.bridge.BlockingVchan;
import io.vchan.bridge.jna.JnaPlatform.XensimStats;
import io.vchan.bridge.ring.RingEndpoint.PeerState;
import io.vchan.bridge.ring.VchanClosedException;
import io.vchan.bridge.testing.PeerProcess;
import io.vchan.bridge.testing.SimulatedHost;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The crash matrix: a libxenvchan peer (vchan-driver) SIGKILLed while our
 * endpoint, in this JVM, waits for the other side to come, is idle, blocked
 * reading, blocked writing into a full ring, or closing, in either role. Our
 * side ends as documented within 100 ms — idle or waiting: peer seen closed;
 * read or closing: end of stream; write: VchanClosedException; connecting to
 * the dead server's keys: VchanClosedException naming them — and once closed
 * leaves the host's grants, mappings and ports as before.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PeerKilledInEachStateTest {

    private static final int CLOSING_BYTES = 1000;

    private CrashRig rig;

    @BeforeAll
    void start() throws IOException {
        rig = new CrashRig();
    }

    @AfterAll
    void stop() {
        System.out.println("crash matrix: worst time to detect a killed peer " + rig.worstMs() + " ms");
        rig.close();
    }

    @ParameterizedTest(name = "our {0}, peer killed while we are {1}")
    @CsvSource({"server,idle", "server,reading", "server,writing-full-ring", "server,waiting-for-client",
        "server,closing", "client,idle", "client,reading", "client,writing-full-ring", "client,waiting-for-client",
        "client,closing"})
    void aKilledPeerEndsOurSideQuicklyAndLeavesNothingBehind(String ourRole, String state) throws Exception {
        XensimStats baseline = rig.stats();
        boolean weServe = ourRole.equals("server");
        String path = weServe ? CrashRig.path(US, VICTIM) : CrashRig.path(VICTIM, US);
        String what = "our " + ourRole + " " + state;
        try (SimulatedHost host = SimulatedHost.sharedWithThisJvm()) {
            switch (state) {
                case "waiting-for-client" -> {
                    if (weServe) {
                        clientKilledWhileWeWait(host, path, baseline, what);
                    } else {
                        connectToKilledServer(host, path, baseline, what);
                    }
                }
                case "closing" -> killedWhileClosing(host, weServe, path, what);
                default -> killedWhileConnected(host, weServe, path, state, what);
            }
        }
        rig.awaitBaseline(baseline);
    }

    private void killedWhileConnected(SimulatedHost host, boolean weServe, String path, String state, String what)
            throws Exception {
        // the victim connects and then does nothing: it neither reads nor writes until it dies
        Connected c = connect(host, weServe, path, "--wait-close");
        try (BlockingVchan ours = c.ours()) {
            CompletableFuture<Void> blocked = CompletableFuture.runAsync(() -> blockIn(ours, state));
            if (state.equals("writing-full-ring")) {
                awaitFullRing(ours);
            }
            rig.killAndTime(c.victim(), blocked, what);
        }
    }

    /**
     * Our server waits for a client, then for its end. A would-be client, stopped
     * before our keys existed, dies: we wait on. A client that dies right after
     * connecting, before any data: we see it closed.
     */
    private void clientKilledWhileWeWait(SimulatedHost host, String path, XensimStats baseline, String what)
            throws Exception {
        PeerProcess wouldBe = host.libxenvchanDriver(VICTIM.value(), driverArgs("client", path));
        wouldBe.suspend(TIMEOUT);
        try (BlockingVchan ours = BlockingVchan.serve(rig.loop, US, VICTIM, path, 4096, 4096)) {
            CompletableFuture<Void> waiting = CompletableFuture.runAsync(() -> awaitClientAndItsEnd(ours));
            wouldBe.kill();
            rig.awaitVictimReaped(baseline);
            assertFalse(waiting.isDone(), "a client that never connected ended our wait");
            assertEquals(PeerState.WAITING, ours.endpoint().peerState());
            PeerProcess victim = host.libxenvchanDriver(VICTIM.value(), driverArgs("client", path, "--wait-close"));
            victim.awaitLine("ready", TIMEOUT);
            rig.killAndTime(victim, waiting, what);
        }
    }

    /** The dead server's keys stay in XenStore: connecting to them fails at once. */
    private void connectToKilledServer(SimulatedHost host, String path, XensimStats baseline, String what)
            throws Exception {
        PeerProcess victim = host.libxenvchanDriver(VICTIM.value(), driverArgs("server", path, "--wait-close"));
        victim.awaitLine("listening", TIMEOUT);
        victim.kill();
        rig.awaitBaseline(baseline); // only its keys are left
        long start = System.nanoTime();
        VchanClosedException e = assertThrows(VchanClosedException.class,
                () -> BlockingVchan.connect(rig.loop, US, VICTIM, path, TIMEOUT).close());
        rig.record((System.nanoTime() - start) / 1_000_000, what + " (connecting to its keys failed)");
        assertTrue(e.getMessage().contains(path), e.getMessage());
        System.out.println("  " + e.getMessage());
    }

    /**
     * Both sides close: ours delivered its data, shut down writing and reads to
     * the end before close(); the victim has read it and waits for our close.
     */
    private void killedWhileClosing(SimulatedHost host, boolean weServe, String path, String what)
            throws Exception {
        Connected c = connect(host, weServe, path, "--expect", Integer.toString(CLOSING_BYTES), "--wait-close");
        try (BlockingVchan ours = c.ours()) {
            ours.writeFully(ByteBuffer.allocate(CLOSING_BYTES), TIMEOUT);
            c.victim().awaitLine("received " + CLOSING_BYTES, TIMEOUT);
            ours.shutdownWrite();
            CompletableFuture<Void> closing = CompletableFuture.runAsync(() -> {
                blockIn(ours, "reading");
                ours.close();
            });
            rig.killAndTime(c.victim(), closing, what);
        }
    }

    private record Connected(BlockingVchan ours, PeerProcess victim) {
    }

    private Connected connect(SimulatedHost host, boolean weServe, String path, String... victimArgs)
            throws Exception {
        BlockingVchan ours;
        PeerProcess victim;
        if (weServe) {
            ours = BlockingVchan.serve(rig.loop, US, VICTIM, path, 4096, 4096);
            victim = host.libxenvchanDriver(VICTIM.value(), driverArgs("client", path, victimArgs));
            assertTrue(ours.awaitPeer(TIMEOUT), "the victim never connected: " + victim.describe());
        } else {
            victim = host.libxenvchanDriver(VICTIM.value(), driverArgs("server", path, victimArgs));
            ours = BlockingVchan.connect(rig.loop, US, VICTIM, path, TIMEOUT);
        }
        victim.awaitLine("ready", TIMEOUT);
        return new Connected(ours, victim);
    }

    /** Blocks as the state says; returns only if our side ended as documented. */
    private static void blockIn(BlockingVchan ours, String state) {
        try {
            switch (state) {
                case "idle" -> assertTrue(ours.awaitPeerClosed(TIMEOUT));
                case "reading" -> assertEquals(-1, ours.read(ByteBuffer.allocate(64), TIMEOUT), "end of stream");
                default -> assertThrows(VchanClosedException.class,
                        () -> ours.writeFully(ByteBuffer.allocate(1 << 20), TIMEOUT));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void awaitClientAndItsEnd(BlockingVchan ours) {
        try {
            assertTrue(ours.awaitPeer(TIMEOUT), "no client came");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        blockIn(ours, "idle");
    }

    private static void awaitFullRing(BlockingVchan ours) throws IOException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (ours.endpoint().bufferSpace() > 0) {
            assertTrue(System.nanoTime() < deadline, "the ring never filled");
            Thread.onSpinWait();
        }
    }
}
