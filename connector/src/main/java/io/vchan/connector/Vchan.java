package io.vchan.connector;

import io.vchan.bridge.events.EventLoop;
import io.vchan.bridge.jna.JnaPlatform;
import io.vchan.bridge.memory.InMemoryPlatform;
import io.vchan.bridge.ring.RingEndpoint;
import io.vchan.bridge.ring.ServerKeys;
import io.vchan.bridge.ring.VchanClient;
import io.vchan.bridge.ring.VchanPath;
import io.vchan.bridge.ring.VchanServer;
import io.vchan.bridge.xen.DomainId;
import io.vchan.bridge.xen.XenException;
import io.vchan.bridge.xen.XenPlatform;
import io.vchan.connector.impl.BindStage;
import io.vchan.connector.impl.ConnectionCounters;
import io.vchan.connector.impl.EndpointActor;
import io.vchan.connector.impl.EndpointOpener;
import io.vchan.connector.impl.EndpointProtocol;
import io.vchan.connector.impl.EventRoute;
import io.vchan.connector.impl.VchanStage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.ClassicActorSystemProvider;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.actor.typed.Props;
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
 * once per actor system, from the {@code vchan} configuration.
 */
public final class Vchan implements Extension {

    private final ActorSystem<?> system;
    private final VchanSettings settings;
    private final XenPlatform platform;
    private final EventLoop loop;
    private final AtomicLong names = new AtomicLong();
    /** Completes once the event loop and the platform are closed, after the actor system terminated. */
    private final CompletableFuture<Void> released = new CompletableFuture<>();

    private Vchan(ActorSystem<?> system) {
        this.system = system;
        this.settings = VchanSettings.create(system.settings().config());
        try {
            this.platform = openPlatform(settings.platform());
            this.loop = EventLoop.start(platform, settings.eventLoopThreads());
        } catch (XenException e) {
            throw new UncheckedIOException("cannot start vchan on " + settings.platform(), e);
        }
        system.getWhenTerminated().thenRun(() -> {
            try {
                loop.close();
                platform.close();
            } finally {
                released.complete(null);
            }
        });
    }

    private static XenPlatform openPlatform(VchanSettings.Platform which) throws XenException {
        return switch (which) {
            case AUTO -> JnaPlatform.detect();
            case XEN -> JnaPlatform.xen();
            case XENSIM -> JnaPlatform.xensim();
            case IN_JVM -> new InMemoryPlatform();
        };
    }

    /** The extension's id, for typed actor systems. */
    public static final class Id extends ExtensionId<Vchan> {
        @Override
        public Vchan createExtension(ActorSystem<?> system) {
            return new Vchan(system);
        }
    }

    public static final Id ID = new Id();

    public static Vchan get(ActorSystem<?> system) {
        return ID.apply(system);
    }

    /** For classic actor systems and anything that provides one. */
    public static Vchan get(ClassicActorSystemProvider provider) {
        return ID.apply(Adapter.toTyped(provider.classicSystem()));
    }

    /** Completes once everything of this extension is closed: a little after the actor system terminated. */
    CompletionStage<Void> whenReleased() {
        return released;
    }

    /** The settings from configuration; the default of every connection. */
    public VchanSettings settings() {
        return settings;
    }

    public XenPlatform platform() {
        return platform;
    }

    public EventLoop eventLoop() {
        return loop;
    }

    /** The domain connections act as, under these settings. */
    public DomainId localDomain(VchanSettings s) {
        return s.localDomain().isPresent() ? DomainId.of(s.localDomain().getAsInt()) : platform.selfDomain();
    }

    /**
     * Serves one client from {@code peer} on {@code port}: publishes the channel
     * when materialized, and the connection is there once the client connects.
     */
    public Flow<ByteString, ByteString, CompletionStage<VchanConnection>> server(DomainId peer, VchanPort port,
            VchanSettings s) {
        DomainId self = localDomain(s);
        String path = port.path(self, peer);
        return Flow.fromGraph(new VchanStage(this, s, new VchanStage.Target(true, self, peer, port, path),
                publisher(self, peer, path, s)));
    }

    public Flow<ByteString, ByteString, CompletionStage<VchanConnection>> server(DomainId peer, VchanPort port) {
        return server(peer, port, settings);
    }

    public Flow<ByteString, ByteString, CompletionStage<VchanConnection>> server(int peer, String port) {
        return server(DomainId.of(peer), VchanPort.of(port), settings);
    }

    /** Connects to the server in {@code server} on {@code port}, waiting up to the connect timeout. */
    public Flow<ByteString, ByteString, CompletionStage<VchanConnection>> client(DomainId server, VchanPort port,
            VchanSettings s) {
        return client(server, port, port.path(server, localDomain(s)), s);
    }

    /**
     * As {@link #client(DomainId, VchanPort, VchanSettings)}, at an explicit
     * XenStore path instead of the conventional one: what libxenvchan's
     * {@code client_init} and Xen's {@code vchan-socket-proxy} take. The
     * connection's {@code port()} is the path's last element.
     */
    public Flow<ByteString, ByteString, CompletionStage<VchanConnection>> clientAt(DomainId server,
            String xenStorePath, VchanSettings s) {
        String path = VchanPath.validate(xenStorePath);
        return client(server, portOf(path), path, s);
    }

    private Flow<ByteString, ByteString, CompletionStage<VchanConnection>> client(DomainId server, VchanPort port,
            String path, VchanSettings s) {
        DomainId self = localDomain(s);
        return Flow.fromGraph(new VchanStage(this, s, new VchanStage.Target(false, self, server, port, path),
                connector(self, server, path, s)));
    }

    public Flow<ByteString, ByteString, CompletionStage<VchanConnection>> client(DomainId server, VchanPort port) {
        return client(server, port, settings);
    }

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
     * Cancelling the source or {@link VchanBinding#unbind} unpublishes the channel.
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
     */
    public Source<IncomingVchanConnection, CompletionStage<VchanBinding>> bindAt(DomainId peer, String xenStorePath,
            VchanSettings s) {
        String path = VchanPath.validate(xenStorePath);
        return bind(peer, portOf(path), path, s);
    }

    private Source<IncomingVchanConnection, CompletionStage<VchanBinding>> bind(DomainId peer, VchanPort port,
            String path, VchanSettings s) {
        DomainId self = localDomain(s);
        return Source.fromGraph(new BindStage(this, s, new VchanStage.Target(true, self, peer, port, path),
                publisher(self, peer, path, s), blocking(s)));
    }

    public Source<IncomingVchanConnection, CompletionStage<VchanBinding>> bind(DomainId peer, VchanPort port) {
        return bind(peer, port, settings);
    }

    public Source<IncomingVchanConnection, CompletionStage<VchanBinding>> bind(int peer, String port) {
        return bind(DomainId.of(peer), VchanPort.of(port), settings);
    }

    /** A validated path's elements are valid port names: the last one names the connection. */
    private static VchanPort portOf(String path) {
        return VchanPort.of(path.substring(path.lastIndexOf('/') + 1));
    }

    /** Spawns the actor that will own an endpoint made by {@code opener}. */
    public EndpointHandle spawnEndpoint(EndpointOpener opener, VchanSettings s) {
        ConnectionCounters counters = new ConnectionCounters();
        EventRoute route = new EventRoute();
        CompletableFuture<RingEndpoint> opened = new CompletableFuture<>();
        CompletableFuture<Void> closed = new CompletableFuture<>();
        Executor blocking = blocking(s);
        ActorRef<EndpointProtocol.Command> ref = system.systemActorOf(
                EndpointActor.create(loop, opener, blocking, s.readChunkSize(), s.spinBeforeSleep(), counters,
                        route, opened, closed),
                "vchan-endpoint-" + names.incrementAndGet(), Props.empty());
        return new EndpointHandle(ref, opened, closed, counters, route);
    }

    /** Publishes a channel for {@code peer} at {@code path}, on the set-up executor. */
    EndpointOpener publisher(DomainId self, DomainId peer, String path, VchanSettings s) {
        return EndpointOpener.onSetup(() -> VchanServer.publish(platform, loop.channels(self), peer, path,
                s.readRingSize(), s.writeRingSize()));
    }

    /**
     * Connects to the server's channel at {@code path}: waits up to the connect
     * timeout for its keys with a watch on the local domain's shared XenStore
     * connection (no thread blocked), then maps on the set-up executor.
     */
    EndpointOpener connector(DomainId self, DomainId server, String path, VchanSettings s) {
        return (setup, ownerStopped) -> CompletableFuture.supplyAsync(() -> {
            // on the set-up executor too: setting the watch and the first look talk to XenStore
            CompletableFuture<ServerKeys> keys;
            try {
                keys = ServerKeys.await(loop.storeWatches(self), server, path, s.connectTimeout());
            } catch (XenException e) {
                throw new CompletionException(e);
            }
            ownerStopped.thenRun(() -> keys.cancel(false));
            return keys;
        }, setup).thenCompose(keys -> keys).thenApplyAsync(k -> {
            try {
                return VchanClient.connect(platform, loop.channels(self), server, path, k);
            } catch (IOException e) {
                throw new CompletionException(e);
            }
        }, setup);
    }

    /** Where set-up and release run: they talk to XenStore and map memory. */
    private Executor blocking(VchanSettings s) {
        return system.dispatchers().lookup(DispatcherSelector.fromConfig(s.blockingDispatcher()));
    }

    /** An endpoint actor and what it reports; a Flow stage takes its events over with {@code route}. */
    public record EndpointHandle(ActorRef<EndpointProtocol.Command> actor, CompletableFuture<RingEndpoint> opened,
            CompletableFuture<Void> closed, ConnectionCounters counters, EventRoute route) {
    }

    ActorSystem<?> system() {
        return system;
    }
}
