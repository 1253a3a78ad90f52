package io.vchan.samples.vmm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vchan.connector.DomainId;
import io.vchan.connector.IncomingVchanConnection;
import io.vchan.connector.Vchan;
import io.vchan.connector.VchanBinding;
import io.vchan.connector.VchanPort;
import io.vchan.connector.VchanSettings;
import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.SharedKillSwitch;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.StreamConverters;
import org.apache.pekko.util.ByteString;

/**
 * The agent in a guest domain. It is the vchan <em>server</em>, as in Xen,
 * where the guest publishes and dom0 connects: {@link Vchan#bind} keeps the
 * channel published for the manager's domain, so a manager that reconnects
 * (after its own restart, or after this agent's) finds it again.
 */
public final class GuestAgent {

    /** Commands answered at once per connection; a long {@code run} does not hold up a ping. */
    private static final int CONCURRENT_REQUESTS = 16;

    private final DomainId self;
    private final long startedNanos = System.nanoTime();
    private final String hostname = hostname();

    private GuestAgent(DomainId self) {
        this.self = self;
    }

    /** A serving agent: its binding, and a way to stop it as abruptly as a crash. */
    public record Running(VchanBinding binding, SharedKillSwitch connections) {

        /** Unpublishes the channel and breaks the current connection, as a dying agent would. */
        public CompletionStage<Done> stop() {
            connections.abort(new IOException("guest agent stopped"));
            return binding.unbind();
        }
    }

    /**
     * Serves the manager in {@code manager} on {@code port}, one connection after
     * another, until stopped; {@code onConnect} hears of each connection.
     */
    public static CompletionStage<Running> serve(ActorSystem<?> system, DomainId manager, VchanPort port,
            VchanSettings settings, Consumer<IncomingVchanConnection> onConnect) {
        Vchan vchan = Vchan.get(system);
        GuestAgent agent = new GuestAgent(vchan.localDomain(settings));
        SharedKillSwitch connections = KillSwitches.shared("guest-agent-" + agent.self.value());
        Pair<CompletionStage<VchanBinding>, CompletionStage<Done>> running =
                vchan.bind(manager, port, settings)
                        .toMat(Sink.foreach(connection -> {
                            onConnect.accept(connection);
                            connection.handleWith(agent.handler().via(connections.flow()), system);
                        }), Keep.both())
                        .run(system);
        return running.first().thenApply(binding -> new Running(binding, connections));
    }

    /** One connection: request lines in, answer lines out. */
    Flow<ByteString, ByteString, NotUsed> handler() {
        return AgentProtocol.lines()
                .flatMapMerge(CONCURRENT_REQUESTS, this::answer)
                .map(AgentProtocol::encode);
    }

    private Source<JsonNode, NotUsed> answer(ByteString line) {
        JsonNode request;
        try {
            request = AgentProtocol.decode(line);
        } catch (JsonProcessingException e) {
            return Source.single(AgentProtocol.message(-1).put("error", "not JSON: " + e.getOriginalMessage()));
        }
        long id = request.path("id").asLong(-1);
        String op = request.path("op").asText("");
        return switch (op) {
            case "ping" -> Source.single(AgentProtocol.message(id).put("pong", true));
            case "status" -> Source.single(status(id));
            case "run" -> run(id, request.path("cmd"));
            default -> Source.single(AgentProtocol.message(id).put("error", "unknown op '" + op + "'"));
        };
    }

    private ObjectNode status(long id) {
        return AgentProtocol.message(id)
                .put("uptime_ms", (System.nanoTime() - startedNanos) / 1_000_000)
                .put("hostname", hostname)
                .put("pid", ProcessHandle.current().pid())
                .put("domain", self.value());
    }

    /** Output lines as they come, then the exit code; stderr joins stdout so nothing is lost. */
    private Source<JsonNode, NotUsed> run(long id, JsonNode cmd) {
        List<String> command = new ArrayList<>();
        cmd.forEach(arg -> command.add(arg.asText()));
        if (command.isEmpty()) {
            return Source.single(AgentProtocol.message(id).put("error", "run needs a non-empty cmd array"));
        }
        Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        } catch (IOException e) {
            return Source.single(AgentProtocol.message(id).put("error", "cannot run " + command + ": "
                    + e.getMessage()));
        }
        Source<JsonNode, NotUsed> output = StreamConverters.fromInputStream(process::getInputStream)
                .mapMaterializedValue(io -> NotUsed.notUsed())
                .via(AgentProtocol.lines())
                .map(out -> (JsonNode) AgentProtocol.message(id).put("out", out.utf8String()));
        Source<JsonNode, NotUsed> exit = Source.completionStage(process.onExit())
                .map(p -> (JsonNode) AgentProtocol.message(id).put("exit", p.exitValue()));
        // a connection that goes away must not leave the command running
        return output.concat(exit).watchTermination((nu, done) -> {
            done.whenComplete((d, e) -> process.destroy());
            return NotUsed.notUsed();
        });
    }

    private static String hostname() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            String env = System.getenv("HOSTNAME");
            return env == null ? "unknown" : env;
        }
    }
}
