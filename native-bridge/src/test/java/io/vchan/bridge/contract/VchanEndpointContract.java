package io.vchan.bridge.contract;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vchan.bridge.BlockingVchan;
import io.vchan.bridge.events.EventLoop;
import io.vchan.bridge.ring.RingEndpoint;
import io.vchan.bridge.ring.VchanClosedException;
import io.vchan.bridge.ring.VchanConnectTimeoutException;
import io.vchan.bridge.ring.VchanProtocolException;
import io.vchan.bridge.testing.SettledHeap;
import io.vchan.bridge.xen.DomainId;
import io.vchan.bridge.xen.GrantMapper;
import io.vchan.bridge.xen.MappedPages;
import io.vchan.bridge.xen.XenPlatform;
import io.vchan.bridge.xen.XenStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What every vchan endpoint does, whatever platform it runs on: ocaml-vchan's
 * test set (connect/close without leaks, write-then-read, read-before-write,
 * wrap-around at every ring size) plus a full ring, 1-byte chunks, packet
 * mode, delivery before close, write shutdown (E1), bad input and a hostile
 * peer. Both ends run in this JVM as two domains.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class VchanEndpointContract {

    static final DomainId SERVER = DomainId.of(0);
    static final DomainId CLIENT = DomainId.of(1);
    static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final AtomicInteger NEXT_PORT = new AtomicInteger();
    /** 1000 by default; {@code -Dvchan.cycles=10000} for the long run. */
    private static final int CYCLES = Integer.getInteger("vchan.cycles", 1000);
    /**
     * Bound on settled-heap growth over the cycles test. Keeping every closed
     * pair grew it by 2.8 KiB a cycle over xensim, 4.0 KiB in memory: at 1000
     * cycles 2 MiB catches a leak of 2 KiB a cycle, less than a closed pair
     * holds, while the growth seen without a leak is under 200 KiB.
     */
    private static final long MAX_HEAP_GROWTH = 2L << 20;

    private XenPlatform platform;
    private EventLoop loop;

    /** The platform under test, opened once for the class. */
    abstract XenPlatform openPlatform() throws IOException;

    /** Every resource the platform holds (grants, mappings, ports, handles, watches), comparable. */
    abstract Object resources() throws IOException;

    @BeforeAll
    void start() throws IOException {
        platform = openPlatform();
        loop = EventLoop.start(platform, 1);
        // the loop's shared handles are opened on first use: open them before any baseline is taken
        loop.channels(SERVER);
        loop.channels(CLIENT);
    }

    @AfterAll
    void stop() {
        loop.close();
        platform.close();
    }

    XenPlatform platform() {
        return platform;
    }

    static String freshPath() {
        return "/local/domain/0/data/vchan/1/t" + NEXT_PORT.incrementAndGet();
    }

    /** A connected server (dom0) and client (dom1). */
    record Pair(BlockingVchan server, BlockingVchan client) implements AutoCloseable {
        @Override
        public void close() {
            client.close();
            server.close();
        }
    }

    Pair connect(int serverReads, int serverWrites) throws IOException {
        String path = freshPath();
        BlockingVchan server = BlockingVchan.serve(loop, SERVER, CLIENT, path, serverReads, serverWrites);
        try {
            BlockingVchan client = BlockingVchan.connect(loop, CLIENT, SERVER, path, TIMEOUT);
            assertTrue(server.awaitPeer(TIMEOUT), "the server saw its client");
            return new Pair(server, client);
        } catch (IOException | RuntimeException | Error e) {
            server.close();
            throw e;
        }
    }

    /** Waits (not sleeps) until {@code condition} holds or the timeout passes. */
    static void eventually(String what, Supplier<Boolean> condition) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!condition.get()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + TIMEOUT + ": " + what);
            }
            Thread.onSpinWait();
            TimeUnit.MILLISECONDS.sleep(1);
        }
    }

    private Object resourcesUnchecked() {
        try {
            return resources();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new SplittableRandom(seed).nextBytes(b);
        return b;
    }

    static byte[] readExactly(BlockingVchan v, int n, int chunk) throws IOException {
        byte[] out = new byte[n];
        int got = 0;
        while (got < n) {
            ByteBuffer buf = ByteBuffer.wrap(out, got, Math.min(chunk, n - got));
            int r = v.read(buf, TIMEOUT);
            if (r < 0) {
                throw new AssertionError("end of stream after " + got + " of " + n + " bytes");
            }
            got += r;
        }
        return out;
    }

    static void writeInChunks(BlockingVchan v, byte[] data, int chunk) throws IOException {
        for (int off = 0; off < data.length; off += chunk) {
            v.writeFully(ByteBuffer.wrap(data, off, Math.min(chunk, data.length - off)), TIMEOUT);
        }
    }

    @Test
    void connectAndCloseReleasesEverything() throws Exception {
        Object before = resources();
        for (int i = 0; i < 20; i++) {
            try (Pair pair = connect(4096, 4096)) {
                pair.client().writeFully(ByteBuffer.wrap(new byte[] {1}), TIMEOUT);
                assertEquals(1, pair.server().read(ByteBuffer.allocate(8), TIMEOUT));
            }
        }
        eventually("resources back to " + before, () -> before.equals(resourcesUnchecked()));
    }

    @Test
    void writeThenRead() throws Exception {
        try (Pair pair = connect(4096, 4096)) {
            byte[] hello = "hello, vchan".getBytes(StandardCharsets.US_ASCII);
            pair.client().writeFully(ByteBuffer.wrap(hello), TIMEOUT);
            assertArrayEquals(hello, readExactly(pair.server(), hello.length, 1024));
            pair.server().writeFully(ByteBuffer.wrap(hello), TIMEOUT);
            assertArrayEquals(hello, readExactly(pair.client(), hello.length, 1024));
        }
    }

    @Test
    void readBeforeWriteBlocksUntilDataArrivesInBothDirections() throws Exception {
        try (Pair pair = connect(4096, 4096)) {
            for (boolean toServer : new boolean[] {true, false}) {
                BlockingVchan reader = toServer ? pair.server() : pair.client();
                BlockingVchan writer = toServer ? pair.client() : pair.server();
                CompletableFuture<byte[]> read = CompletableFuture.supplyAsync(() -> {
                    try {
                        return readExactly(reader, 3, 16);
                    } catch (IOException e) {
                        throw new IllegalStateException(e);
                    }
                });
                assertFalse(read.isDone(), "read returned before anything was written");
                writer.writeFully(ByteBuffer.wrap(new byte[] {7, 8, 9}), TIMEOUT);
                assertArrayEquals(new byte[] {7, 8, 9}, read.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS));
            }
        }
    }

    @ParameterizedTest(name = "order {0}")
    @ValueSource(ints = {10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20})
    void wrapsAroundAtEveryRingSize(int order) throws Exception {
        int size = 1 << order;
        try (Pair pair = connect(size, size)) {
            assertEquals(size, pair.server().endpoint().readCapacity());
            // three times round each ring, in chunks that never line up with its end
            byte[] toServer = random(3 * size + 1234, order);
            byte[] toClient = random(3 * size + 4321, -order);
            CompletableFuture<Void> writing = CompletableFuture.runAsync(() -> {
                try {
                    writeInChunks(pair.client(), toServer, 997);
                    writeInChunks(pair.server(), toClient, 1013);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            assertArrayEquals(toServer, readExactly(pair.server(), toServer.length, 757));
            assertArrayEquals(toClient, readExactly(pair.client(), toClient.length, 811));
            writing.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        }
    }

    @Test
    void aFullRingHoldsTheWriterUntilTheReaderDrainsIt() throws Exception {
        try (Pair pair = connect(4096, 4096)) {
            RingEndpoint writer = pair.client().endpoint();
            byte[] fill = random(4096, 1);
            assertEquals(4096, writer.write(ByteBuffer.wrap(fill)));
            assertEquals(0, writer.bufferSpace());
            assertEquals(0, writer.write(ByteBuffer.wrap(new byte[] {1})), "a full ring takes nothing");

            byte[] more = random(10_000, 2);
            CompletableFuture<Void> blocked = CompletableFuture.runAsync(() -> {
                try {
                    pair.client().writeFully(ByteBuffer.wrap(more), TIMEOUT);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            assertFalse(blocked.isDone(), "the writer went on although the ring was full");
            assertArrayEquals(fill, readExactly(pair.server(), 4096, 4096));
            assertArrayEquals(more, readExactly(pair.server(), more.length, 4096));
            blocked.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        }
    }

    /** A thread that runs {@code body}; its failure, if any, comes out of {@link #join}. */
    private static final class Caller extends Thread {
        interface Body {
            void run() throws Exception;
        }

        private final Body body;
        private volatile Throwable failure;

        Caller(String name, Body body) {
            super(name);
            this.body = body;
            setDaemon(true);
            start();
        }

        @Override
        public void run() {
            try {
                body.run();
            } catch (Throwable t) {
                failure = t;
            }
        }

        /** Joins it; returns what it threw, or null. */
        Throwable finish() throws InterruptedException {
            join(TIMEOUT.toMillis());
            if (isAlive()) {
                throw new AssertionError(getName() + " still blocked after " + TIMEOUT);
            }
            return failure;
        }

        boolean parked() {
            State s = getState();
            return s == State.WAITING || s == State.TIMED_WAITING;
        }
    }

    @Test
    void aReaderAndAWriterBlockedAtOnceBothGoOnWhenThePeerActs() throws Exception {
        try (Pair pair = connect(4096, 4096)) {
            byte[] fill = random(4096, 11);
            assertEquals(4096, pair.client().endpoint().write(ByteBuffer.wrap(fill)));
            byte[] more = random(20_000, 12);
            byte[] reply = random(3000, 13);
            AtomicReference<byte[]> got = new AtomicReference<>();
            // one of them polls the endpoint's handle, the other waits for it: the peer's
            // two acts must reach both, whichever of them is polling
            Caller writer = new Caller("blocked-writer",
                    () -> pair.client().writeFully(ByteBuffer.wrap(more), TIMEOUT));
            Caller reader = new Caller("blocked-reader",
                    () -> got.set(readExactly(pair.client(), reply.length, 4096)));
            eventually("one of the two callers waits for the other's poll", () -> writer.parked() || reader.parked());
            pair.server().writeFully(ByteBuffer.wrap(reply), TIMEOUT);
            assertEquals(null, reader.finish(), "the reader got the reply");
            assertArrayEquals(reply, got.get());
            assertArrayEquals(fill, readExactly(pair.server(), 4096, 4096));
            assertArrayEquals(more, readExactly(pair.server(), more.length, 4096));
            assertEquals(null, writer.finish(), "the writer placed everything once the server read");
        }
    }

    @Test
    void closeWakesCallsBlockedOnOtherThreadsWithClosed() throws Exception {
        Pair pair = connect(4096, 4096);
        try {
            assertEquals(4096, pair.client().endpoint().write(ByteBuffer.wrap(random(4096, 14))));
            Caller writer = new Caller("blocked-writer",
                    () -> pair.client().writeFully(ByteBuffer.wrap(new byte[100]), TIMEOUT));
            Caller reader = new Caller("blocked-reader",
                    () -> pair.client().read(ByteBuffer.allocate(16), TIMEOUT));
            eventually("one caller waits for the other's poll", () -> writer.parked() || reader.parked());
            pair.client().close();
            for (Caller c : new Caller[] {writer, reader}) {
                Throwable failure = c.finish();
                assertTrue(failure instanceof VchanClosedException,
                        c.getName() + ": closed, not a timeout after " + TIMEOUT + ": " + failure);
            }
        } finally {
            pair.close();
        }
    }

    @Test
    void oneByteChunks() throws Exception {
        try (Pair pair = connect(1024, 1024)) {
            byte[] data = random(5000, 3);
            CompletableFuture<Void> writing = CompletableFuture.runAsync(() -> {
                try {
                    writeInChunks(pair.server(), data, 1);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            assertArrayEquals(data, readExactly(pair.client(), data.length, 1));
            writing.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        }
    }

    @Test
    void packetModeIsAllOrNothing() throws Exception {
        try (Pair pair = connect(4096, 4096)) {
            RingEndpoint client = pair.client().endpoint();
            RingEndpoint server = pair.server().endpoint();
            assertTrue(client.writePacket(ByteBuffer.wrap(random(3000, 4))));
            ByteBuffer tooBig = ByteBuffer.wrap(random(2000, 5));
            assertFalse(client.writePacket(tooBig), "2000 bytes do not fit in the 1096 left");
            assertEquals(2000, tooBig.remaining(), "a refused packet writes nothing");

            ByteBuffer whole = ByteBuffer.allocate(3001);
            assertFalse(server.readPacket(whole), "3001 bytes are not there yet");
            assertEquals(0, whole.position(), "a refused packet read takes nothing");
            ByteBuffer exact = ByteBuffer.allocate(3000);
            assertTrue(server.readPacket(exact));
            assertArrayEquals(random(3000, 4), exact.array());
            assertThrows(IllegalArgumentException.class, () -> client.writePacket(ByteBuffer.allocate(4097)));
        }
    }

    @Test
    void everythingWrittenBeforeACleanCloseIsDelivered() throws Exception {
        String path = freshPath();
        try (BlockingVchan server = BlockingVchan.serve(loop, SERVER, CLIENT, path, 65536, 65536)) {
            byte[] data = random(50_000, 6);
            try (BlockingVchan client = BlockingVchan.connect(loop, CLIENT, SERVER, path, TIMEOUT)) {
                client.writeFully(ByteBuffer.wrap(data), TIMEOUT);
            }
            assertArrayEquals(data, readExactly(server, data.length, 8192));
            assertEquals(-1, server.read(ByteBuffer.allocate(16), TIMEOUT), "end of stream after the data");
            assertThrows(VchanClosedException.class,
                    () -> server.endpoint().write(ByteBuffer.wrap(new byte[] {1})));
        }
    }

    @Test
    void writeShutdownEndsTheStreamOneWayOnly() throws Exception {
        try (Pair pair = connect(4096, 4096)) {
            pair.server().writeFully(ByteBuffer.wrap(new byte[] {1, 2, 3}), TIMEOUT);
            pair.server().shutdownWrite();
            assertArrayEquals(new byte[] {1, 2, 3}, readExactly(pair.client(), 3, 16));
            assertEquals(-1, pair.client().read(ByteBuffer.allocate(16), TIMEOUT), "E1: end of stream");
            assertThrows(VchanClosedException.class,
                    () -> pair.server().endpoint().write(ByteBuffer.wrap(new byte[] {4})));
            // the other direction goes on
            pair.client().writeFully(ByteBuffer.wrap(new byte[] {5, 6}), TIMEOUT);
            assertArrayEquals(new byte[] {5, 6}, readExactly(pair.server(), 2, 16));
        }
    }

    @Test
    void closeIsIdempotentAndLaterCallsSayClosed() throws Exception {
        Pair pair = connect(4096, 4096);
        pair.close();
        pair.close();
        assertThrows(VchanClosedException.class, () -> pair.client().endpoint().read(ByteBuffer.allocate(1)));
        assertThrows(VchanClosedException.class,
                () -> pair.server().endpoint().write(ByteBuffer.wrap(new byte[] {1})));
    }

    /** Bad input: the exception and its message, and nothing allocated on the way. */
    private void assertRefused(String messagePart, org.junit.jupiter.api.function.Executable call)
            throws IOException {
        Object before = resources();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(messagePart), "message '" + e.getMessage() + "' lacks '"
                + messagePart + "'");
        assertEquals(before, resources(), "nothing was allocated for bad input");
    }

    @Test
    void aPortNameWithCharactersXenStoreRefusesIsRejected() throws Exception {
        assertRefused("elements of [a-zA-Z0-9_-]", () -> BlockingVchan.serve(loop, SERVER, CLIENT,
                "/local/domain/0/data/vchan/1/bad port", 4096, 4096));
        assertRefused("elements of [a-zA-Z0-9_-]", () -> BlockingVchan.connect(loop, CLIENT, SERVER,
                "/local/domain/0/data/vchan/1/a//b", TIMEOUT));
        assertRefused("use one or more of [a-zA-Z0-9_-]",
                () -> io.vchan.bridge.ring.VchanPath.conventional(SERVER, CLIENT, "caf\u00e9"));
    }

    @Test
    void aPathTooLongForLibxenvchanIsRejectedWithTheLimit() throws Exception {
        String tooLong = "/local/domain/0/data/vchan/1/" + "p".repeat(21);
        assertRefused("at most 49", () -> BlockingVchan.serve(loop, SERVER, CLIENT, tooLong, 4096, 4096));
        assertRefused("64-byte key buffer",
                () -> io.vchan.bridge.ring.VchanPath.conventional(SERVER, CLIENT, "p".repeat(21)));
    }

    @Test
    void ringSizesAboveOneMebibyteOrNegativeAreRejected() throws Exception {
        assertRefused("above", () -> BlockingVchan.serve(loop, SERVER, CLIENT, freshPath(), (1 << 20) + 1, 4096));
        assertRefused("negative", () -> BlockingVchan.serve(loop, SERVER, CLIENT, freshPath(), 4096, -1));
    }

    @Test
    void domainIdsOutsideXensRangeAreRejected() throws Exception {
        assertRefused("outside 0..32751", () -> DomainId.of(32752));
        assertRefused("outside 0..32751", () -> DomainId.of(-1));
    }

    @Test
    void aNegativeConnectTimeoutIsRejected() throws Exception {
        assertRefused("negative",
                () -> BlockingVchan.connect(loop, CLIENT, SERVER, freshPath(), Duration.ofSeconds(-1)));
    }

    @Test
    void aThousandConnectCloseCyclesLeaveNothingBehind() throws Exception {
        // warm up: class loading and the JIT open files and threads of their own
        connect(4096, 4096).close();
        Object before = resources();
        long fdsBefore = openFileDescriptors();
        int threadsBefore = Thread.activeCount();
        long heapBefore = SettledHeap.usedBytes();
        long start = System.nanoTime();
        for (int i = 0; i < CYCLES; i++) {
            try (Pair pair = connect(4096, 4096)) {
                pair.server().writeFully(ByteBuffer.wrap(new byte[] {(byte) i}), TIMEOUT);
                assertEquals(1, pair.client().read(ByteBuffer.allocate(4), TIMEOUT));
            }
        }
        long ms = (System.nanoTime() - start) / 1_000_000;
        eventually("resources back to " + before, () -> before.equals(resourcesUnchecked()));
        long fdsAfter = openFileDescriptors();
        int threadsAfter = Thread.activeCount();
        long heapAfter = SettledHeap.usedBytes();
        System.out.printf("%s: %d cycles in %d ms: resources %s, fds %d -> %d, threads %d -> %d, heap %s -> %s%n",
                getClass().getSimpleName(), CYCLES, ms, resources(), fdsBefore, fdsAfter, threadsBefore,
                threadsAfter, SettledHeap.kib(heapBefore), SettledHeap.kib(heapAfter));
        assertTrue(fdsAfter <= fdsBefore + 2, "file descriptors " + fdsBefore + " -> " + fdsAfter);
        assertTrue(threadsAfter <= threadsBefore, "threads " + threadsBefore + " -> " + threadsAfter);
        assertTrue(heapAfter - heapBefore < MAX_HEAP_GROWTH, "heap after GC grew from "
                + SettledHeap.kib(heapBefore) + " to " + SettledHeap.kib(heapAfter) + " over " + CYCLES + " cycles");
    }

    private static long openFileDescriptors() throws IOException {
        try (var fds = java.nio.file.Files.list(java.nio.file.Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }

    /**
     * A server published for dom1 refuses a client in dom2, with a reason, not a
     * silent wait: EACCES is no answer while the keys may still become readable
     * (on Xen they are, for a moment, before their permissions are set), but at
     * the connect timeout the client says it was refused.
     */
    @Test
    void aClientFromAnotherDomainIsRefusedWithPermissionDenied() throws Exception {
        String path = freshPath();
        try (BlockingVchan server = BlockingVchan.serve(loop, SERVER, CLIENT, path, 4096, 4096)) {
            loop.channels(DomainId.of(2)); // the loop's handle for dom2 stays open by design
            Object before = resources();
            VchanConnectTimeoutException e = assertThrows(VchanConnectTimeoutException.class,
                    () -> BlockingVchan.connect(loop, DomainId.of(2), SERVER, path, Duration.ofMillis(500)));
            assertTrue(e.getMessage().contains("for dom2") && e.getMessage().contains("EACCES"),
                    e.getMessage());
            assertEquals(io.vchan.bridge.xen.Errno.EACCES, ((io.vchan.bridge.xen.XenException) e.getCause()).errno(),
                    e.getMessage());
            eventually("the refused client left nothing behind", () -> before.equals(resourcesUnchecked()));
            try (BlockingVchan client = BlockingVchan.connect(loop, CLIENT, SERVER, path, TIMEOUT)) {
                assertTrue(server.awaitPeer(TIMEOUT), "the intended client still connects");
            }
        }
    }

    /** XenStore permissions and grant rules keep a third domain out of a channel. */
    @Test
    void aThirdDomainCanNeitherReadTheKeysNorMapTheGrants() throws Exception {
        DomainId third = DomainId.of(2);
        try (Pair pair = connect(4096, 4096)) {
            String path = pair.server().endpoint().path();
            int ref;
            try (XenStore clientXs = platform.openXenStore(CLIENT)) {
                ref = Integer.parseInt(new String(clientXs.read(0, path + "/ring-ref").orElseThrow(),
                        StandardCharsets.US_ASCII));
            }
            try (XenStore xs = platform.openXenStore(third); GrantMapper mapper = platform.openGrantMapper(third)) {
                io.vchan.bridge.xen.XenException denied = assertThrows(io.vchan.bridge.xen.XenException.class,
                        () -> xs.read(0, path + "/ring-ref"));
                assertEquals(io.vchan.bridge.xen.Errno.EACCES, denied.errno(), denied.getMessage());
                assertThrows(io.vchan.bridge.xen.XenException.class, () -> mapper.map(SERVER, new int[] {ref}, false));
            }
        }
    }

    @Test
    void aClientGivesUpWhenNoServerAppears() throws Exception {
        Object before = resources();
        long start = System.nanoTime();
        assertThrows(VchanConnectTimeoutException.class,
                () -> BlockingVchan.connect(loop, CLIENT, SERVER, freshPath(), Duration.ofMillis(200)));
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertTrue(ms >= 200 && ms < 5000, "gave up after " + ms + " ms");
        eventually("resources back to " + before, () -> before.equals(resourcesUnchecked()));
    }

    /**
     * A peer that maps the control page and writes a producer index far beyond
     * the ring: our reader fails that channel with a protocol exception and
     * touches nothing outside its mappings; other channels go on.
     */
    @Test
    void aCorruptIndexFailsTheChannelWithAProtocolException() throws Exception {
        try (Pair victim = connect(4096, 4096); Pair bystander = connect(4096, 4096)) {
            String path = victim.server().endpoint().path();
            try (XenStore xs = platform.openXenStore(CLIENT);
                    GrantMapper mapper = platform.openGrantMapper(CLIENT)) {
                int ref = Integer.parseInt(new String(xs.read(0, path + "/ring-ref").orElseThrow(),
                        StandardCharsets.US_ASCII));
                try (MappedPages page = mapper.map(SERVER, new int[] {ref}, true)) {
                    ByteBuffer shared = page.memory().order(ByteOrder.LITTLE_ENDIAN);
                    shared.putInt(4, shared.getInt(0) + 5000); // left prod: 5000 bytes "ready" in a 4096 ring
                    assertThrows(VchanProtocolException.class, () -> victim.server().endpoint().dataReady());
                    assertThrows(VchanProtocolException.class,
                            () -> victim.server().read(ByteBuffer.allocate(64), TIMEOUT));
                    shared.putInt(8, shared.getInt(12) + 1); // right cons ahead of prod: −1 bytes used
                    assertThrows(VchanProtocolException.class,
                            () -> victim.server().endpoint().write(ByteBuffer.wrap(new byte[] {1})));
                }
            }
            bystander.client().writeFully(ByteBuffer.wrap(new byte[] {42}), TIMEOUT);
            assertArrayEquals(new byte[] {42}, readExactly(bystander.server(), 1, 8));
        }
    }
}
