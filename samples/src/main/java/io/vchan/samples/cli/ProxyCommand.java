package io.vchan.samples.cli;

import io.vchan.bridge.ring.VchanPath;
import io.vchan.bridge.xen.XenStore;
import io.vchan.connector.DomainId;
import io.vchan.connector.Vchan;
import io.vchan.connector.VchanBinding;
import io.vchan.connector.VchanConnection;
import io.vchan.connector.VchanSettings;
import io.vchan.connector.impl.VchanRuntime;
import java.io.IOException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code vchan proxy}: a drop-in for Xen's {@code vchan-socket-proxy}, same
 * arguments. Like it, a socket's end of file closes the vchan (libxenvchan has
 * no half-close) and a closed vchan closes the socket; unlike it, what the
 * peer wrote before closing is still delivered.
 */
@Command(name = "proxy", mixinStandardHelpOptions = true,
        description = {"Relay a UNIX socket (or stdin/stdout) over a vchan, like Xen's vchan-socket-proxy.",
            "client (default): listen on socket-path and open a vchan to DOMID at NODEPATH for each accepted "
                + "connection, one after another; with - connect at once over stdin/stdout and end when the "
                + "vchan closes.",
            "server: serve vchan clients from DOMID at NODEPATH one after another, connecting to socket-path "
                + "for each; with - serve one over stdin/stdout."})
final class ProxyCommand implements Callable<Integer> {

    /** vchan-socket-proxy waits for its server as long as it takes. */
    private static final Duration FOREVER = Duration.ofDays(36_500);

    @Option(names = {"-m", "--mode"}, paramLabel = "client|server", defaultValue = "client",
            description = "vchan connection mode (default ${DEFAULT-VALUE}).")
    String mode;

    @Option(names = {"-s", "--state-path"}, paramLabel = "PATH",
            description = "XenStore path to write \"running\" to once ready.")
    String statePath;

    @Option(names = {"-v", "--verbose"}, description = "Log connections on stderr.")
    boolean verbose;

    @Option(names = "--progress", description = "Show bytes and rates on stderr, per connection.")
    boolean progress;

    @Parameters(index = "0", paramLabel = "DOMID", description = "The peer domain.")
    int domain;

    @Parameters(index = "1", paramLabel = "NODEPATH", description = "The vchan's XenStore directory.")
    String nodePath;

    @Parameters(index = "2", paramLabel = "socket-path|fd|-", description = "A UNIX socket path, or - for stdio.")
    String endpoint;

    private ActorSystem<Void> system;
    private Vchan vchan;
    private VchanSettings settings;

    @Override
    public Integer call() throws Exception {
        boolean server = switch (mode) {
            case "server" -> true;
            case "client" -> false;
            default -> throw new IllegalArgumentException("invalid mode '" + mode + "': client or server");
        };
        DomainId peer = DomainId.of(domain);
        VchanPath.validate(nodePath);
        if (endpoint.matches("[0-9]+")) {
            throw new IllegalArgumentException("'" + endpoint + "' is a file descriptor: a JVM cannot adopt an "
                    + "inherited socket; give a socket path or -");
        }
        boolean stdio = endpoint.equals("-");
        system = CliSystem.create("vchan-proxy");
        try {
            vchan = Vchan.get(system);
            // at a socket's end of file, close the vchan: what a libxenvchan peer understands
            settings = vchan.settings().withHalfClose(false).withConnectTimeout(FOREVER);
            if (server) {
                serve(peer, stdio);
            } else if (stdio) {
                ready();
                relayStdio(vchan.clientAt(peer, nodePath, settings)).toCompletableFuture().get();
            } else {
                connectEachAccepted(peer, Path.of(endpoint));
            }
            return ExitCodes.OK;
        } finally {
            system.terminate();
        }
    }

    /** Server mode: one vchan client after another, each to a fresh socket connection (or stdio, once). */
    private void serve(DomainId peer, boolean stdio) throws Exception {
        Executor blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
        Source<Done, CompletionStage<VchanBinding>> served = vchan.bindAt(peer, nodePath, settings)
                .mapAsync(1, incoming -> {
                    log("vchan client from " + incoming.peerDomain() + " connected");
                    if (stdio) {
                        return relayStdio(incoming.flow());
                    }
                    return CompletableFuture.supplyAsync(() -> UnixSocketFlows.connect(Path.of(endpoint)), blocking)
                            .thenCompose(socket -> relaySocket(socket, incoming.flow()));
                });
        // take(1) after the relay: cancelling the binding earlier would close the connection unused
        Pair<CompletionStage<VchanBinding>, CompletionStage<Done>> running = (stdio ? served.take(1) : served)
                .toMat(Sink.ignore(), Keep.both()).run(system);
        VchanBinding binding = running.first().toCompletableFuture().get();
        log("serving " + binding.peerDomain() + " at " + binding.xenStorePath());
        ready();
        running.second().toCompletableFuture().get();
    }

    /** stdin to the vchan, the vchan to stdout; a failure is the command's. */
    private CompletionStage<Done> relayStdio(Flow<ByteString, ByteString, CompletionStage<VchanConnection>> flow) {
        Progress shown = Progress.start(progress, system);
        return Relay.run(Stdio.stdin(), Stdio.stdout(), flow, shown, system).whenComplete((d, e) -> shown.close());
    }

    /** Client mode with a socket path: vchan-socket-proxy's one connection at a time, until killed. */
    private void connectEachAccepted(DomainId peer, Path path) throws Exception {
        try (ServerSocketChannel listener = UnixSocketFlows.listen(path)) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteQuietly(path)));
            log("listening on " + path);
            ready();
            while (true) {
                SocketChannel socket = listener.accept();
                log("accepted a connection, connecting to " + peer + " at " + nodePath);
                relaySocket(socket, vchan.clientAt(peer, nodePath, settings)).toCompletableFuture().get();
            }
        }
    }

    /** One socket connection over one vchan; a failure ends this connection only, with a line on stderr. */
    private CompletionStage<Done> relaySocket(SocketChannel socket,
            Flow<ByteString, ByteString, CompletionStage<VchanConnection>> flow) {
        Progress shown = Progress.start(progress, system);
        return Relay.run(UnixSocketFlows.source(socket), UnixSocketFlows.sink(socket), flow, shown, system)
                .handle((done, err) -> {
                    shown.close();
                    closeQuietly(socket); // also ends a read still waiting on the socket
                    if (err != null) {
                        System.err.println("vchan proxy: connection ended: " + Failure.of(err).message());
                    } else {
                        log("connection closed");
                    }
                    return Done.getInstance();
                });
    }

    /** {@code -s}: as vchan-socket-proxy, "running" once the socket listens or the vchan is published. */
    private void ready() throws Exception {
        if (statePath == null) {
            return;
        }
        // the state key is vchan-socket-proxy's convention, not the connector's: written with the runtime's store
        VchanRuntime runtime = VchanRuntime.get(system);
        try (XenStore xs = runtime.platform().openXenStore(runtime.localDomain(settings))) {
            xs.write(0, statePath, "running".getBytes(StandardCharsets.US_ASCII));
        }
    }

    private void log(String message) {
        if (verbose) {
            System.err.println("vchan proxy: " + message);
        }
    }

    private static void closeQuietly(SocketChannel socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing is all we wanted
        }
    }

    private static void deleteQuietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // the process is ending; a stale socket is reported by the next listener
        }
    }
}
