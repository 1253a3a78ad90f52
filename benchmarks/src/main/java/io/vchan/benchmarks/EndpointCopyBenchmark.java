package io.vchan.benchmarks;

import io.vchan.bridge.memory.InMemoryPlatform;
import io.vchan.bridge.ring.RingEndpoint;
import io.vchan.bridge.ring.VchanClient;
import io.vchan.bridge.ring.VchanPath;
import io.vchan.bridge.ring.VchanServer;
import io.vchan.bridge.xen.DomainId;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.SplittableRandom;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A write on one end and a read on the other of a real channel over the
 * in-JVM platform, one thread: the ring copy plus what every public call adds
 * (the endpoint's lifecycle lock, the peer-state check, the notify-byte
 * atomics). Beside {@code RingCopyBenchmark} it shows what those cost. No
 * event is sent: neither end asked to be woken.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class EndpointCopyBenchmark {

    private static final DomainId SERVER = DomainId.DOM0;
    private static final DomainId CLIENT = DomainId.of(1);
    private static final int RING = 1 << 20;

    @Param({"4096", "65536"})
    int chunk;

    private InMemoryPlatform platform;
    private RingEndpoint server;
    private RingEndpoint client;
    private ByteBuffer src;
    private ByteBuffer dst;

    @Setup
    public void setUp() throws IOException {
        platform = new InMemoryPlatform();
        String path = VchanPath.conventional(SERVER, CLIENT, "bench");
        server = VchanServer.publish(platform, platform.openEventChannels(SERVER), CLIENT, path, RING, RING);
        client = VchanClient.connect(platform, platform.openEventChannels(CLIENT), SERVER, path,
                Duration.ofSeconds(10));
        byte[] data = new byte[chunk - 24]; // moving offsets, some copies straddle the wrap
        new SplittableRandom(1).nextBytes(data);
        src = ByteBuffer.wrap(data);
        dst = ByteBuffer.allocate(data.length);
    }

    @TearDown
    public void tearDown() {
        client.close();
        server.close();
        platform.close();
    }

    @Benchmark
    public int writeThenRead(BytesMoved moved) throws IOException {
        src.clear();
        dst.clear();
        int written = server.write(src);
        int read = client.read(dst);
        moved.bytes += read;
        return written + read;
    }
}
