package io.vchan.connector;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import io.vchan.connector.impl.VchanRuntime;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Two actor systems on one xensim host, as two services would be: the
 * server's coordinated shutdown unbinds and closes its channels while its
 * dispatchers still run, so by the time the system terminates its client has
 * seen an orderly end of stream and everything of the server is released.
 */
class CoordinatedShutdownTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final DomainId SERVER = DomainId.of(1);
    private static final DomainId CLIENT = DomainId.of(0);

    private ActorSystem<Void> serverSystem;
    private ActorSystem<Void> clientSystem;

    private static ActorSystem<Void> system(String name) {
        return ActorSystem.create(Behaviors.empty(), name, ConfigFactory
                .parseString("vchan.platform = xensim\npekko.loglevel = WARNING")
                .withFallback(ConfigFactory.load()));
    }

    @AfterEach
    void stop() throws Exception {
        for (ActorSystem<?> s : new ActorSystem<?>[] {serverSystem, clientSystem}) {
            if (s != null) {
                s.terminate();
                VchanRuntime.get(s).whenReleased().toCompletableFuture().get(30, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void shutdownUnbindsAndClosesChannelsBeforeTheSystemTerminates() throws Exception {
        serverSystem = system("shutdown-server");
        clientSystem = system("shutdown-client");
        Vchan server = Vchan.get(serverSystem);
        Vchan client = Vchan.get(clientSystem);
        VchanPort port = VchanPort.of("cs" + ProcessHandle.current().pid() % 100_000);

        // the server echoes; its binding stays up until shutdown
        CompletableFuture<VchanConnection> served = new CompletableFuture<>();
        VchanBinding binding = server.bind(CLIENT, port, server.settings().withLocalDomain(SERVER))
                .to(Sink.foreach(c -> c.flow().joinMat(Flow.of(ByteString.class), Keep.left()).run(serverSystem)
                        .thenAccept(served::complete)))
                .run(serverSystem).toCompletableFuture().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);

        // the client sends one line, then keeps its side open: only the server's close can end its stream
        CompletableFuture<ByteString> echoed = new CompletableFuture<>();
        CompletableFuture<ByteString> received = Source.single(ByteString.fromString("hello"))
                .concat(Source.never())
                .via(client.client(SERVER, port, client.settings().withLocalDomain(CLIENT)))
                .map(b -> {
                    echoed.complete(b);
                    return b;
                })
                .runFold(ByteString.emptyByteString(), ByteString::concat, clientSystem)
                .toCompletableFuture();

        // by the last phase before termination, the binding must be unbound and the channel closed and released
        CompletableFuture<String> atTermination = new CompletableFuture<>();
        CoordinatedShutdown.get(serverSystem).addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(),
                "observe", () -> {
                    atTermination.complete("unbound=" + binding.whenUnbound().toCompletableFuture().isDone()
                            + " closed=" + served.join().whenClosed().toCompletableFuture().isDone());
                    return CompletableFuture.completedFuture(Done.getInstance());
                });
        echoed.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS); // connected both ways

        serverSystem.terminate(); // runs the coordinated shutdown, as a service's stop does
        serverSystem.getWhenTerminated().toCompletableFuture().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);

        assertEquals("unbound=true closed=true", atTermination.get(1, TimeUnit.SECONDS));
        // closed, not dropped: the client's stream ends normally, after the data
        assertEquals("hello", received.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS).utf8String());
        VchanRuntime.get(serverSystem).whenReleased().toCompletableFuture().get(TIMEOUT.toSeconds(),
                TimeUnit.SECONDS);
    }
}
