package io.vchan.benchmarks;

import com.typesafe.config.ConfigFactory;
import io.vchan.connector.DomainId;
import io.vchan.connector.Vchan;
import io.vchan.connector.VchanConnection;
import io.vchan.connector.VchanPort;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.SinkQueueWithCancel;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
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
 * One message there and back through two connector Flows over the in-JVM
 * platform: a client Flow fed by a queue, a server Flow that echoes. Each
 * operation offers one message and waits for all its bytes to come back, so
 * the figure is the whole path twice: stage, endpoint actor, ring, event
 * channel, event-loop wake-up, and Pekko's thread hops between them.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class FlowRoundTripBenchmark {

    private static final DomainId SERVER = DomainId.DOM0;
    private static final DomainId CLIENT = DomainId.of(1);
    private static final long TIMEOUT_SECONDS = 10;

    @Param({"64", "4096"})
    int size;

    private ActorSystem<Void> system;
    private BoundedSourceQueue<ByteString> out;
    private SinkQueueWithCancel<ByteString> in;
    private ByteString message;

    @Setup
    public void setUp() throws Exception {
        system = ActorSystem.create(Behaviors.empty(), "flow-round-trip", ConfigFactory
                .parseString("vchan.platform = in-jvm\npekko.loglevel = WARNING")
                .withFallback(ConfigFactory.load()));
        Vchan vchan = Vchan.get(system);
        VchanPort port = VchanPort.of("bench");
        vchan.server(CLIENT, port, vchan.settings().withLocalDomain(SERVER.value()))
                .join(Flow.create())
                .run(system);
        Pair<Pair<BoundedSourceQueue<ByteString>, CompletionStage<VchanConnection>>, SinkQueueWithCancel<ByteString>>
                client = Source.<ByteString>queue(16)
                        .viaMat(vchan.client(SERVER, port, vchan.settings().withLocalDomain(CLIENT.value())),
                                Keep.both())
                        .toMat(Sink.queue(), Keep.both())
                        .run(system);
        out = client.first().first();
        in = client.second();
        client.first().second().toCompletableFuture().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        message = ByteString.fromArrayUnsafe(new byte[size]);
    }

    @TearDown
    public void tearDown() throws Exception {
        out.complete();
        system.terminate();
        system.getWhenTerminated().toCompletableFuture().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    @Benchmark
    public int roundTrip() throws Exception {
        QueueOfferResult offered = out.offer(message);
        if (offered != QueueOfferResult.enqueued()) {
            throw new IllegalStateException("the client Flow refused the message: " + offered);
        }
        int back = 0;
        while (back < size) { // the echo may come back in more than one piece
            Optional<ByteString> piece = in.pull().toCompletableFuture().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            if (piece.isEmpty()) {
                throw new IllegalStateException("the channel ended after " + back + " of " + size + " bytes");
            }
            back += piece.get().size();
        }
        return back;
    }
}
