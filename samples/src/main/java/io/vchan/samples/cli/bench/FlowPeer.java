package io.vchan.samples.cli.bench;

import io.vchan.connector.DomainId;
import io.vchan.connector.Vchan;
import io.vchan.connector.VchanConnection;
import io.vchan.connector.VchanPort;
import io.vchan.connector.VchanSettings;
import io.vchan.samples.cli.CliSystem;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.util.ByteString;

/** (a) the connector: one {@code Flow<ByteString, ByteString, …>} per end. */
final class FlowPeer {

    private FlowPeer() {
    }

    static void run(BenchPeerCommand o) throws Exception {
        ActorSystem<Void> system = CliSystem.create("bench-flow-" + o.role);
        try {
            Vchan vchan = Vchan.get(system);
            VchanSettings settings = vchan.settings().withReadRingSize(o.ringSize).withWriteRingSize(o.ringSize)
                    .withHalfClose(true).withConnectTimeout(o.timeout());
            Flow<ByteString, ByteString, CompletionStage<VchanConnection>> flow = o.server()
                    ? vchan.server(DomainId.of(o.peer), VchanPort.of("bench"), settings)
                    : vchan.client(DomainId.of(o.peer), VchanPort.of("bench"), settings);
            if (o.pingpong && o.server()) {
                VchanConnection c = flow.joinMat(Flow.of(ByteString.class), Keep.left()).run(system)
                        .toCompletableFuture().get(o.timeoutSeconds, TimeUnit.SECONDS);
                c.whenClosed().toCompletableFuture().get(o.timeoutSeconds, TimeUnit.SECONDS);
            } else if (o.pingpong) {
                System.out.println(StreamLoad.pingPong(flow, o.size, o.warmupTrips, o.trips,
                        org.apache.pekko.stream.Materializer.createMaterializer(system)).line());
            } else {
                bulk(o, flow, system);
            }
        } finally {
            system.terminate();
        }
    }

    private static void bulk(BenchPeerCommand o, Flow<ByteString, ByteString, CompletionStage<VchanConnection>> flow,
            ActorSystem<Void> system) throws Exception {
        CpuWindow cpu = new CpuWindow();
        RxMeter meter = new RxMeter(o.warmup, o.toReceive(), cpu);
        Pair<CompletionStage<VchanConnection>, CompletionStage<Done>> run = o.load(cpu)
                .viaMat(flow, Keep.right()).toMat(StreamLoad.metering(meter), Keep.both()).run(system);
        VchanConnection connection = run.first().toCompletableFuture().get(o.timeoutSeconds, TimeUnit.SECONDS);
        run.second().toCompletableFuture().get(o.timeoutSeconds, TimeUnit.SECONDS);
        connection.whenClosed().toCompletableFuture().get(o.timeoutSeconds, TimeUnit.SECONDS);
        if (o.toReceive() > 0) {
            System.out.println(meter.line());
        }
        System.out.println(cpu.line());
    }
}
