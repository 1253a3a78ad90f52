package io.vchan.samples.cli.bench;

import io.vchan.samples.cli.CliSystem;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.util.ByteString;

/**
 * (d) Pekko {@code Tcp} over 127.0.0.1, half-close on: the same load as the
 * connector peer. Each end keeps its writing side open until it has received
 * all it expects, so neither closes the connection under the other.
 */
final class TcpPeer {

    private TcpPeer() {
    }

    static void run(BenchPeerCommand o) throws Exception {
        ActorSystem<Void> system = CliSystem.create("bench-tcp-" + o.role);
        try {
            CpuWindow cpu = new CpuWindow();
            RxMeter meter = new RxMeter(o.warmup, o.toReceive(), cpu);
            Flow<ByteString, ByteString, CompletionStage<Done>> handler = o.pingpong
                    ? Flow.of(ByteString.class).watchTermination(Keep.right())
                    : Flow.fromSinkAndSourceMat(StreamLoad.metering(meter),
                            o.load(cpu).concat(StreamLoad.holdUntil(meter.all())),
                            Keep.left());
            if (o.server()) {
                serve(o, system, handler);
            } else if (o.pingpong) {
                System.out.println(StreamLoad.pingPong(connection(o, system), o.size, o.warmupTrips, o.trips,
                        Materializer.createMaterializer(system)).line());
            } else {
                connection(o, system).joinMat(handler, Keep.right()).run(system).toCompletableFuture()
                        .get(o.timeoutSeconds, TimeUnit.SECONDS);
            }
            if (!o.pingpong && o.toReceive() > 0) {
                System.out.println(meter.line());
            }
            if (!o.pingpong) {
                System.out.println(cpu.line());
            }
        } finally {
            system.terminate();
        }
    }

    private static Flow<ByteString, ByteString, ?> connection(BenchPeerCommand o, ActorSystem<Void> system) {
        return Tcp.get(system).outgoingConnection(new InetSocketAddress("127.0.0.1", o.tcpPort), Optional.empty(),
                List.of(), true, Optional.empty(), Optional.empty());
    }

    /** Serves the first connection with {@code handler}, then waits for it to end. */
    private static void serve(BenchPeerCommand o, ActorSystem<Void> system,
            Flow<ByteString, ByteString, CompletionStage<Done>> handler) throws Exception {
        CompletableFuture<Done> done = new CompletableFuture<>();
        Pair<CompletionStage<Tcp.ServerBinding>, CompletionStage<Done>> bound = Tcp.get(system)
                .bind("127.0.0.1", 0, 1, List.of(), true, Optional.empty())
                .take(1)
                .toMat(Sink.foreach(c -> c.handleWith(handler, system).whenComplete((d, e) -> {
                    if (e != null) {
                        done.completeExceptionally(e);
                    } else {
                        done.complete(d);
                    }
                })), Keep.both())
                .run(system);
        Tcp.ServerBinding binding = bound.first().toCompletableFuture().get(o.timeoutSeconds, TimeUnit.SECONDS);
        System.out.println("listening port=" + binding.localAddress().getPort());
        System.out.flush();
        done.get(o.timeoutSeconds, TimeUnit.SECONDS);
    }
}
