package io.vchan.bridge.ring;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The notify-byte protocol's atomics (docs/vchan-protocol.md §5): a request (OR a
 * bit into the peer's byte) and a send (clear a bit in our own byte, learning
 * whether it was set) cost one atomic read-modify-write each, done on the
 * page's flags word. Alone, and with the peer doing the same on its byte of
 * the same word from another thread, as both ends of a busy channel do.
 */
@State(Scope.Group)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class NotifyBytesBenchmark {

    private ControlPage page;

    @Setup
    public void setUp() {
        page = new ControlPage(ByteBuffer.allocateDirect(ControlPage.SIZE));
    }

    /** One side's request then send, uncontended: two atomics on the flags word. */
    @Benchmark
    @Group("alone")
    @GroupThreads(1)
    public int requestThenSend() {
        page.orByte(ControlPage.SRV_NOTIFY, ControlPage.NOTIFY_WRITE);
        return page.clearByte(ControlPage.SRV_NOTIFY, ControlPage.NOTIFY_WRITE);
    }

    /** The server's side of a busy channel: its bytes share the word with the client's. */
    @Benchmark
    @Group("bothEnds")
    @GroupThreads(1)
    public int server() {
        page.orByte(ControlPage.CLI_NOTIFY, ControlPage.NOTIFY_READ);
        return page.clearByte(ControlPage.SRV_NOTIFY, ControlPage.NOTIFY_WRITE);
    }

    /** The client's side, at the same time. */
    @Benchmark
    @Group("bothEnds")
    @GroupThreads(1)
    public int client() {
        page.orByte(ControlPage.SRV_NOTIFY, ControlPage.NOTIFY_WRITE);
        return page.clearByte(ControlPage.CLI_NOTIFY, ControlPage.NOTIFY_READ);
    }
}
