package io.vchan.connector;

import io.vchan.bridge.ring.Role;
import io.vchan.bridge.ring.VchanPath;
import io.vchan.connector.impl.BindStage;
import io.vchan.connector.impl.Domains;
import io.vchan.connector.impl.Target;
import io.vchan.connector.impl.VchanRuntime;
import io.vchan.connector.impl.VchanStage;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.ClassicActorSystemProvider;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
/**
 * The vchan extension of an actor system: like Pekko's {@code Tcp}, it makes
 * flows that are channels to other Xen domains.
 *
 * <pre>{@code
 * Vchan vchan = Vchan.get(system);
 * Flow<ByteString, ByteString, CompletionStage<VchanConnection>> toAgent =
 *     vchan.client(DomainId.of(5), VchanPort.of("agent"));
 * }</pre>
 *
 * The platform (Xen, xensim or in-JVM) and the event-loop threads are chosen
 * once per actor system, from {@link VchanSystemSettings}; each connection's
 * settings default to {@link #settings()}.
 */
public final class Vchan implements Extension {

    private final VchanRuntime runtime;
    private final VchanSettings settings;

    private Vchan(ActorSystem<?> system) {
        this.runtime = VchanRuntime.get(system);
        this.settings = VchanSettings.create(system.settings().config().getConfig(VchanSystemSettings.CONFIG_PATH));
    }

    /** The extension's id, for typed actor systems. */
    public static final class Id extends ExtensionId<Vchan> {
        @Override
        public Vchan createExtension(ActorSystem<?> system) {
            return new Vchan(system);
        }
    }

    /** The extension's id. */
    public static final Id ID = new Id();

    /**
     * @param system a typed actor system
     * @return its vchan extension, started on first use
     * @throws IllegalStateException if {@code vchan.platform = auto} finds neither Xen nor a xensim host
     */
    public static Vchan get(ActorSystem<?> system) {
        return ID.apply(system);
    }

    /**
     * For classic actor systems and anything that provides one.
     *
     * @param provider the actor system
     * @return its vchan extension, started on first use
     */
    public static Vchan get(ClassicActorSystemProvider provider) {
        return ID.apply(Adapter.toTyped(provider.classicSystem()));
    }

    /** @return the settings from configuration: the default of every connection */
    public VchanSettings settings() {
        return settings;
    }

    /** @return what this system's vchan runs on */
    public VchanSystemSettings systemSettings() {
        return runtime.settings();
    }

    /**
     * @param s a connection's settings
     * @return the domain connections act as under them: theirs, or the platform's own
     */
    public DomainId localDomain(VchanSettings s) {
        return Domains.api(runtime.localDomain(s));
    }

    /**
     * Serves one client from {@code peer} on {@code port}: publishes the channel
     * when materialized, and the connection is there once the client connects.
     *
     * @param peer the only domain that may connect
     * @param port the port name
     * @param s    the connection's settings
     * @return the channel as a flow; its materialized value completes once the client is there
     */
    public Flow<ByteString, ByteString, CompletionStage<VchanConnection>> server(DomainId peer, VchanPort port,
            VchanSettings s) {
        io.vchan.bridge.xen.DomainId self = runtime.localDomain(s);
        Target target = new Target(Role.SERVER, self, Domains.bridge(peer), port, port.path(Domains.api(self), peer));
        return Flow.fromGraph(new VchanStage(runtime, s, target,
                runtime.publisher(self, target.peer(), target.path(), s)));
    }

    /**
     * As {@link #server(DomainId, VchanPort, VchanSettings)} with {@link #settings()}.
     *
     * @param peer the only domain that may connect
     * @param port the port name
     * @return the channel as a flow
     */
    public Flow<ByteString, ByteString, CompletionStage<VchanConnection>> server(DomainId peer, VchanPort port) {
        return server(peer, port, settings);
    }

    /**
     * As {@link #server(DomainId, VchanPort, VchanSettings)} with {@link #settings()}.
     *
     * @param peer the only domain id that may connect
     * @param port the port name
     * @return the channel as a flow
     */
    public Flow<ByteString, ByteString, CompletionStage<VchanConnection>> server(int peer, String port) {
        return server(DomainId.of(peer), VchanPort.of(port), settings);
    }

    /**
     * Connects to the server in {@code server} on {@code port}, waiting up to the connect timeout.
     *
     * @param server the domain that published the channel
     * @param port   the port name
     * @param s      the connection's settings
     * @return the channel as a flow; its materialized value completes once connected, or fails
     *         with {@link VchanConnectTimeoutException}
     */
    public Flow<ByteString, ByteString, CompletionStage<VchanConnection>> client(DomainId server, VchanPort port,
            VchanSettings s) {
        return client(server, port, port.path(server, localDomain(s)), s);
    }

    /**
     * As {@link #client(DomainId, VchanPort, VchanSettings)}, at an explicit
     * XenStore path instead of the conventional one: what libxenvchan's
     * {@code client_init} and Xen's {@code vchan-socket-proxy} take. The
     * connection's {@code port()} is the path's last element.
     *
     * @param server       the domain that published the channel
     * @param xenStorePath the channel's XenStore directory
     * @param s            the connection's settings
     * @return the channel as a flow
     */
    public Flow<ByteString, ByteString, CompletionStage<VchanConnection>> clientAt(DomainId server,
            String xenStorePath, VchanSettings s) {
        String path = VchanPath.validate(xenStorePath);
        return client(server, portOf(path), path, s);
    }

    private Flow<ByteString, ByteString, CompletionStage<VchanConnection>> client(DomainId server, VchanPort port,
            String path, VchanSettings s) {
        io.vchan.bridge.xen.DomainId self = runtime.localDomain(s);
        Target target = new Target(Role.CLIENT, self, Domains.bridge(server), port, path);
        return Flow.fromGraph(new VchanStage(runtime, s, target,
                runtime.connector(self, target.peer(), path, s)));
    }

    /**
     * As {@link #client(DomainId, VchanPort, VchanSettings)} with {@link #settings()}.
     *
     * @param server the domain that published the channel
     * @param port   the port name
     * @return the channel as a flow
     */
    public Flow<ByteString, ByteString, CompletionStage<VchanConnection>> client(DomainId server, VchanPort port) {
        return client(server, port, settings);
    }

    /**
     * As {@link #client(DomainId, VchanPort, VchanSettings)} with {@link #settings()}.
     *
     * @param server the domain id that published the channel
     * @param port   the port name
     * @return the channel as a flow
     */
    public Flow<ByteString, ByteString, CompletionStage<VchanConnection>> client(int server, String port) {
        return client(DomainId.of(server), VchanPort.of(port), settings);
    }

    /**
     * Serves clients from {@code peer} on {@code port} one after another, like
     * Pekko's {@code Tcp.bind}: the channel is published when the source is
     * materialized (the binding completes then, or fails if publishing fails),
     * and each client that connects is emitted, when downstream asks for one,
     * as an {@link IncomingVchanConnection} to handle. A vchan has one client at
     * a time: the next is served once the previous connection's flow has ended.
     * Cancelling the source or {@link VchanBinding#unbind} unpublishes the channel,
     * as does the actor system's coordinated shutdown.
     *
     * @param peer the only domain that may connect
     * @param port the port name
     * @param s    the connections' settings
     * @return the clients, one after another
     */
    public Source<IncomingVchanConnection, CompletionStage<VchanBinding>> bind(DomainId peer, VchanPort port,
            VchanSettings s) {
        return bind(peer, port, port.path(localDomain(s), peer), s);
    }

    /**
     * As {@link #bind(DomainId, VchanPort, VchanSettings)}, at an explicit
     * XenStore path instead of the conventional one: what libxenvchan's
     * {@code server_init} and Xen's {@code vchan-socket-proxy} take. The
     * connections' {@code port()} is the path's last element.
     *
     * @param peer         the only domain that may connect
     * @param xenStorePath the channel's XenStore directory
     * @param s            the connections' settings
     * @return the clients, one after another
     */
    public Source<IncomingVchanConnection, CompletionStage<VchanBinding>> bindAt(DomainId peer, String xenStorePath,
            VchanSettings s) {
        String path = VchanPath.validate(xenStorePath);
        return bind(peer, portOf(path), path, s);
    }

    private Source<IncomingVchanConnection, CompletionStage<VchanBinding>> bind(DomainId peer, VchanPort port,
            String path, VchanSettings s) {
        io.vchan.bridge.xen.DomainId self = runtime.localDomain(s);
        Target target = new Target(Role.SERVER, self, Domains.bridge(peer), port, path);
        return Source.fromGraph(new BindStage(runtime, s, target,
                runtime.publisher(self, target.peer(), path, s)));
    }

    /**
     * As {@link #bind(DomainId, VchanPort, VchanSettings)} with {@link #settings()}.
     *
     * @param peer the only domain that may connect
     * @param port the port name
     * @return the clients, one after another
     */
    public Source<IncomingVchanConnection, CompletionStage<VchanBinding>> bind(DomainId peer, VchanPort port) {
        return bind(peer, port, settings);
    }

    /**
     * As {@link #bind(DomainId, VchanPort, VchanSettings)} with {@link #settings()}.
     *
     * @param peer the only domain id that may connect
     * @param port the port name
     * @return the clients, one after another
     */
    public Source<IncomingVchanConnection, CompletionStage<VchanBinding>> bind(int peer, String port) {
        return bind(DomainId.of(peer), VchanPort.of(port), settings);
    }

    /** A validated path's elements are valid port names: the last one names the connection. */
    private static VchanPort portOf(String path) {
        return VchanPort.of(path.substring(path.lastIndexOf('/') + 1));
    }

    /** INTERNAL API: for the endpoint API of this package. */
    VchanRuntime runtime() {
        return runtime;
    }
}
