package io.vchan.samples.cli;

import io.vchan.connector.DomainId;
import io.vchan.connector.Vchan;
import io.vchan.connector.VchanConnection;
import io.vchan.connector.VchanPort;
import io.vchan.connector.VchanSettings;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.StreamConverters;
import org.apache.pekko.util.ByteString;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code vchan cat}: stdin to the vchan and the vchan to stdout, like
 * ocaml-vchan's xencat. At stdin's end it shuts down writing (E1) and keeps
 * copying to stdout until the peer closes.
 */
@Command(name = "cat", mixinStandardHelpOptions = true,
        description = "Copy stdin to a vchan and the vchan to stdout.")
final class CatCommand implements Callable<Integer> {

    @Option(names = "-l", description = "Serve a client from DOMID instead of connecting to a server in it.")
    boolean listen;

    @Option(names = "--read-size", paramLabel = "N", defaultValue = "65536",
            description = "Ring we read from, in bytes, as server (default ${DEFAULT-VALUE}).")
    int readSize;

    @Option(names = "--write-size", paramLabel = "N", defaultValue = "65536",
            description = "Ring we write to, in bytes, as server (default ${DEFAULT-VALUE}).")
    int writeSize;

    @Option(names = "--connect-timeout", paramLabel = "SECONDS", defaultValue = "10",
            description = "How long a client waits for the server (default ${DEFAULT-VALUE}).")
    double connectTimeoutSeconds;

    @Option(names = "--progress", description = "Show bytes and rates each way on stderr.")
    boolean progress;

    @Parameters(index = "0", paramLabel = "DOMID", description = "The peer domain.")
    int domain;

    @Parameters(index = "1", paramLabel = "PORT", description = "The vchan port name.")
    String port;

    @Override
    public Integer call() throws Exception {
        DomainId peer = DomainId.of(domain);
        VchanPort vchanPort = VchanPort.of(port);
        ActorSystem<Void> system = CliSystem.create("vchan-cat");
        try (Progress shown = Progress.start(progress, system)) {
            Vchan vchan = Vchan.get(system);
            VchanSettings settings = vchan.settings().withReadRingSize(readSize).withWriteRingSize(writeSize)
                    .withHalfClose(true)
                    .withConnectTimeout(Duration.ofMillis((long) (connectTimeoutSeconds * 1000)));
            Flow<ByteString, ByteString, CompletionStage<VchanConnection>> flow = listen
                    ? vchan.server(peer, vchanPort, settings)
                    : vchan.client(peer, vchanPort, settings);
            var done = StreamConverters.fromInputStream(() -> System.in, 65536)
                    .via(shown.toVchan())
                    .viaMat(flow, Keep.right())
                    .via(shown.fromVchan())
                    .toMat(StreamConverters.fromOutputStream(() -> System.out, true), Keep.both())
                    .run(system);
            done.second().toCompletableFuture().get();
            done.first().toCompletableFuture().get().whenClosed().toCompletableFuture().get();
            return ExitCodes.OK;
        } finally {
            system.terminate();
        }
    }
}
