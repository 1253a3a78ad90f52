package io.vchan.bridge.ring;

import io.vchan.benchmarks.BytesMoved;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The copy into and out of one ring and nothing else: a chunk written from a
 * heap buffer (as the stage writes a ByteString's array) and read into a
 * fresh-style heap buffer, with the acquire/release index updates between.
 * In this package because {@link Ring} is internal. The {@code bytes} counter
 * is bytes moved (written and read once) per second.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RingCopyBenchmark {

    /** Chunk sizes the stage sees: a small write, the default read chunk (each 24 bytes short, below). */
    @Param({"4096", "65536"})
    int chunk;

    /** A 1 MiB ring, the largest a server asks for by default. */
    private static final int ORDER = 20;

    private Ring ring;
    private ByteBuffer src;
    private ByteBuffer dst;

    @Setup
    public void setUp() {
        ControlPage page = new ControlPage(ByteBuffer.allocateDirect(ControlPage.SIZE));
        ring = new Ring(page, ControlPage.LEFT_CONS, ControlPage.LEFT_PROD, ByteBuffer.allocateDirect(1 << ORDER),
                ORDER, "bench", Ring.Side.READER); // one ring, both ends: we own its cons, and write its prod too
        // 24 bytes short of a power of two: chunks land at moving offsets and some straddle the wrap
        byte[] data = new byte[chunk - 24];
        new java.util.SplittableRandom(1).nextBytes(data);
        src = ByteBuffer.wrap(data);
        dst = ByteBuffer.allocate(data.length);
    }

    @Benchmark
    public int writeThenRead(BytesMoved moved) throws VchanProtocolException {
        src.clear();
        dst.clear();
        int written = ring.write(src);
        int read = ring.read(dst);
        moved.bytes += read;
        return written + read;
    }
}
