package io.vchan.connector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vchan.bridge.testing.SettledHeap;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletionStage;
import java.util.stream.Stream;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

/**
 * Open, transfer, close through the connector, over and over: grants,
 * mappings, ports and handles (checked after the test by the support class),
 * file descriptors, threads and the heap after GC stay flat. CI runs 1000 cycles;
 * {@code -Dvchan.cycles=10000} for the long run.
 */
class ThousandCyclesLeakTest extends VchanTestSupport {

    private static final int CYCLES = Integer.getInteger("vchan.cycles", 1000);
    /**
     * Bound on settled-heap growth over the run. Keeping both closed
     * connections of every cycle grew it by about 5 KiB a cycle: at 1000 cycles
     * 2 MiB catches a leak of 2 KiB a cycle, less than one connection holds,
     * while the growth seen without a leak is about 250 KiB.
     */
    private static final long MAX_HEAP_GROWTH = 2L << 20;

    @Override
    TestPlatform platform() {
        return TestPlatform.XENSIM;
    }

    @Test
    void cyclesLeaveFdsThreadsAndXenResourcesFlat() throws Exception {
        // first uses load classes and grow the dispatchers' bounded pools to their working size:
        // what must not grow is anything per connection
        for (int i = 0; i < 100; i++) {
            cycle();
        }
        Object resourcesBefore = resources();
        long fdsBefore = openFds();
        int threadsBefore = Thread.activeCount();
        long heapBefore = SettledHeap.usedBytes();
        long start = System.nanoTime();
        for (int i = 0; i < CYCLES; i++) {
            cycle();
        }
        long ms = (System.nanoTime() - start) / 1_000_000;
        eventually("resources back to " + resourcesBefore, () -> resourcesBefore.equals(resources()));
        long fdsAfter = openFds();
        int threadsAfter = Thread.activeCount();
        long heapAfter = SettledHeap.usedBytes();
        System.out.printf("%d connector open/transfer/close cycles in %d ms: resources %s, fds %d -> %d,"
                + " threads %d -> %d, heap %s -> %s%n", CYCLES, ms, resources(), fdsBefore, fdsAfter, threadsBefore,
                threadsAfter, SettledHeap.kib(heapBefore), SettledHeap.kib(heapAfter));
        assertTrue(fdsAfter <= fdsBefore + 2, "file descriptors " + fdsBefore + " -> " + fdsAfter);
        assertTrue(threadsAfter <= threadsBefore + 4, "threads " + threadsBefore + " -> " + threadsAfter);
        assertTrue(heapAfter - heapBefore < MAX_HEAP_GROWTH, "heap after GC grew from "
                + SettledHeap.kib(heapBefore) + " to " + SettledHeap.kib(heapAfter) + " over " + CYCLES + " cycles");
    }

    /** One connection: a request, its echo, both sides closed and released. */
    private void cycle() throws Exception {
        VchanPort port = freshPort();
        CompletionStage<VchanConnection> server = vchan.server(CLIENT, port, serverSettings())
                .joinMat(Flow.create(), Keep.left()).run(mat);
        Pair<CompletionStage<VchanConnection>, CompletionStage<ByteString>> client =
                Source.single(ByteString.fromString("ping"))
                        .viaMat(vchan.client(SERVER, port, clientSettings()), Keep.right())
                        .toMat(Sink.fold(ByteString.emptyByteString(), ByteString::concat), Keep.both())
                        .run(mat);
        assertEquals("ping", await(client.second()).utf8String());
        await(await(server).whenClosed());
        await(await(client.first()).whenClosed());
    }

    private static long openFds() throws Exception {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }
}
