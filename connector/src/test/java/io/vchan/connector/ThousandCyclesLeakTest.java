package io.vchan.connector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
 * file descriptors and threads stay flat. CI runs 1000 cycles;
 * {@code -Dvchan.cycles=10000} for the long run.
 */
class ThousandCyclesLeakTest extends VchanTestSupport {

    private static final int CYCLES = Integer.getInteger("vchan.cycles", 1000);

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
        long start = System.nanoTime();
        for (int i = 0; i < CYCLES; i++) {
            cycle();
        }
        long ms = (System.nanoTime() - start) / 1_000_000;
        eventually("resources back to " + resourcesBefore, () -> resourcesBefore.equals(resources()));
        long fdsAfter = openFds();
        int threadsAfter = Thread.activeCount();
        System.out.printf("%d connector open/transfer/close cycles in %d ms: resources %s, fds %d -> %d,"
                + " threads %d -> %d%n", CYCLES, ms, resources(), fdsBefore, fdsAfter, threadsBefore, threadsAfter);
        assertTrue(fdsAfter <= fdsBefore + 2, "file descriptors " + fdsBefore + " -> " + fdsAfter);
        assertTrue(threadsAfter <= threadsBefore + 4, "threads " + threadsBefore + " -> " + threadsAfter);
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
