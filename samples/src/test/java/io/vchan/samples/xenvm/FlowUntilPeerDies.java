package io.vchan.samples.xenvm;

import io.vchan.connector.DomainId;
import io.vchan.connector.Vchan;
import io.vchan.connector.VchanPort;
import io.vchan.samples.cli.CliSystem;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.slf4j.LoggerFactory;

/**
 * dom0's end of the destroy scenario: a connector {@code Flow} server for
 * DOMID PORT that sends zeros and drains what comes; prints {@code started}
 * once 4 MiB came in, then {@code flow-failed MILLIS CAUSE} with the time
 * taken in the stream's own completion callback (fused with the vchan stage,
 * so that is when the Flow failed), and exits 6 if it failed, 0 if not.
 */
public final class FlowUntilPeerDies {

    private FlowUntilPeerDies() {
    }

    public static void main(String[] args) throws Exception {
        LoggerFactory.getILoggerFactory(); // before other threads log: no replay warning on stderr
        DomainId peer = DomainId.of(Integer.parseInt(args[0]));
        VchanPort port = VchanPort.of(args[1]);
        ActorSystem<Void> system = CliSystem.create("flow-until-peer-dies");
        AtomicLong received = new AtomicLong();
        CompletableFuture<Long> failedAt = new CompletableFuture<>();
        CompletableFuture<Throwable> cause = new CompletableFuture<>();
        ByteString zeros = ByteString.fromArray(new byte[65536]);
        Vchan vchan = Vchan.get(system);
        Source.repeat(zeros)
                .via(vchan.server(peer, port, vchan.settings()))
                .map(b -> {
                    if (received.get() < (4 << 20) && received.addAndGet(b.size()) >= (4 << 20)) {
                        System.out.println("started");
                        System.out.flush();
                    }
                    return b;
                })
                .runWith(Sink.ignore(), system)
                .whenComplete((done, e) -> {
                    failedAt.complete(System.currentTimeMillis());
                    cause.complete(e);
                });
        long at = failedAt.get();
        Throwable e = cause.get();
        System.out.println("flow-failed " + at + " " + e);
        system.terminate();
        System.exit(e == null ? 0 : 6);
    }
}
