package io.vchan.connector;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

/**
 * What one 64 KiB chunk costs on the hot path, Flow to Flow over xensim in
 * this JVM: bytes allocated (all threads), ring writes and notifications per
 * chunk. Figures are printed for the benchmark notes, not asserted: the test
 * checks only that every byte arrived.
 */
class HotPathFiguresTest extends VchanTestSupport {

    private static final int CHUNK = 65536;
    private static final int CHUNKS = 4096; // 256 MiB

    @Override
    TestPlatform platform() {
        return TestPlatform.XENSIM;
    }

    @Test
    void printsAllocationAndNotificationsPerChunk() throws Exception {
        VchanPort port = freshPort();
        ByteString chunk = ByteString.fromArrayUnsafe(new byte[CHUNK]);
        CompletionStage<VchanConnection> server = vchan.server(CLIENT, port,
                        serverSettings().withReadRingSize(1 << 20).withWriteRingSize(1 << 20))
                .joinMat(Flow.fromSinkAndSource(Sink.ignore(), Source.repeat(chunk).take(CHUNKS)), Keep.left())
                .run(mat);
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        Pair<CompletionStage<VchanConnection>, CompletionStage<Long>> client = Source.<ByteString>empty()
                .viaMat(vchan.client(SERVER, port, clientSettings()), Keep.right())
                .toMat(Sink.fold(0L, (n, b) -> n + b.size()), Keep.both())
                .run(mat);
        // timed from the connection: set-up is not the hot path
        await(client.first());
        long allocatedBefore = allocated(threads);
        long start = System.nanoTime();
        long received = await(client.second());
        long nanos = System.nanoTime() - start;
        long allocatedAfter = allocated(threads);
        assertEquals((long) CHUNK * CHUNKS, received);

        VchanConnection s = await(server);
        VchanConnection c = await(client.first());
        await(s.whenClosed());
        await(c.whenClosed());
        System.out.printf("hot path, %d x 64 KiB Flow -> Flow over xensim: %.0f MB/s, %.1f KiB allocated per chunk"
                        + " (all threads; the fresh 64 KiB copy handed downstream is %d KiB of it),"
                        + " ring writes per chunk %.3f, notifications per chunk: sent %.3f, received %.3f%n",
                CHUNKS, (double) received * 1000 / nanos, (allocatedAfter - allocatedBefore) / 1024.0 / CHUNKS,
                CHUNK / 1024, (double) s.ringWrites() / CHUNKS,
                (double) (s.notificationsOut() + c.notificationsOut()) / CHUNKS,
                (double) (s.notificationsIn() + c.notificationsIn()) / CHUNKS);
    }

    private static long allocated(com.sun.management.ThreadMXBean threads) {
        long[] ids = threads.getAllThreadIds();
        return Arrays.stream(threads.getThreadAllocatedBytes(ids)).filter(b -> b > 0).sum();
    }
}
