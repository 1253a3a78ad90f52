package io.vchan.samples.xenvm;

import io.vchan.connector.DomainId;
import io.vchan.connector.Vchan;
import io.vchan.connector.VchanPort;
import io.vchan.connector.VchanSettings;
import io.vchan.samples.cli.CliSystem;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.slf4j.LoggerFactory;

/**
 * Successive connector {@code Flow} clients in one dom0 JVM (a JVM start
 * costs tens of seconds under TCG): client I sends the request lines with
 * {@code %d} replaced by I, half-closes, and prints each answer line as
 * {@code clientI: LINE}, then {@code clientI: exit 0} once the server closed
 * (or {@code clientI: failed CAUSE}).
 *
 * <p>Usage: {@code SuccessiveClients DOMID PORT COUNT CONNECT_TIMEOUT_S REQUEST_LINE...}
 */
public final class SuccessiveClients {

    private SuccessiveClients() {
    }

    public static void main(String[] args) throws Exception {
        LoggerFactory.getILoggerFactory(); // before other threads log: no replay warning on stderr
        DomainId server = DomainId.of(Integer.parseInt(args[0]));
        VchanPort port = VchanPort.of(args[1]);
        int count = Integer.parseInt(args[2]);
        Duration connectTimeout = Duration.ofSeconds(Long.parseLong(args[3]));
        ActorSystem<Void> system = CliSystem.create("successive-clients");
        int status = 0;
        try {
            Vchan vchan = Vchan.get(system);
            VchanSettings settings = vchan.settings().withHalfClose(true).withConnectTimeout(connectTimeout);
            for (int i = 1; i <= count; i++) {
                StringBuilder request = new StringBuilder();
                for (int a = 4; a < args.length; a++) {
                    request.append(args[a].replace("%d", Integer.toString(i))).append('\n');
                }
                try {
                    ByteString answer = Source.single(ByteString.fromString(request.toString()))
                            .via(vchan.client(server, port, settings))
                            .runWith(Sink.fold(ByteString.emptyByteString(), ByteString::concat), system)
                            .toCompletableFuture().get(connectTimeout.toSeconds() + 60, TimeUnit.SECONDS);
                    for (String line : answer.decodeString(StandardCharsets.UTF_8).split("\n")) {
                        System.out.println("client" + i + ": " + line);
                    }
                    System.out.println("client" + i + ": exit 0");
                } catch (Exception e) {
                    System.out.println("client" + i + ": failed " + e);
                    status = 1;
                }
            }
        } finally {
            system.terminate();
            system.getWhenTerminated().toCompletableFuture().get();
        }
        System.exit(status);
    }
}
