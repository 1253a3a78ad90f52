package io.vchan.connector.impl;

import io.vchan.bridge.events.EventLoop;
import io.vchan.bridge.jna.JnaPlatform;
import io.vchan.bridge.jna.XensimOptions;
import io.vchan.bridge.memory.InMemoryPlatform;
import io.vchan.bridge.ring.RingEndpoint;
import io.vchan.bridge.ring.ServerKeys;
import io.vchan.bridge.ring.VchanClient;
import io.vchan.bridge.ring.VchanServer;
import io.vchan.bridge.xen.DomainId;
import io.vchan.bridge.xen.XenException;
import io.vchan.bridge.xen.XenPlatform;
import io.vchan.connector.VchanSettings;
import io.vchan.connector.VchanSystemSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.annotation.InternalApi;

/**
 * INTERNAL API: what the connector's stages and actors run on, once per actor
 * system — the platform, the event loop, the set-up executor and the spawning
 * of endpoint actors — as Pekko's stages get the IO manager rather than the
 * {@code Tcp} extension. The samples and tests use it for what users never need
 * (the platform's XenStore, the loop's counters).
 *
 * <p>Shutdown follows Pekko's {@link CoordinatedShutdown}: open bindings are
 * unbound in {@code service-unbind} (no new clients), open channels are closed
 * in {@code service-stop} (their peers see an orderly close while the
 * dispatchers still run), and the event loop and the platform are closed once
 * the actor system has terminated.
 */
@InternalApi
public final class VchanRuntime implements Extension {

    /** A connect timeout of "for ever": the watch's deadline saturates to none. */
    private static final Duration FOREVER = ChronoUnit.FOREVER.getDuration();

    private final ActorSystem<?> system;
    private final VchanSystemSettings settings;
    private final XenPlatform platform;
    private final EventLoop loop;
    private final AtomicLong names = new AtomicLong();
    private final Set<EndpointHandle> endpoints = ConcurrentHashMap.newKeySet();
    private final Set<Supplier<CompletionStage<Done>>> bindings = ConcurrentHashMap.newKeySet();
    /** Completes once the event loop and the platform are closed, after the actor system terminated. */
    private final CompletableFuture<Void> released = new CompletableFuture<>();

    private VchanRuntime(ActorSystem<?> system) {
        this.system = system;
        this.settings = VchanSystemSettings.create(system.settings().config().getConfig(
                VchanSystemSettings.CONFIG_PATH));
        try {
            this.platform = openPlatform(settings);
        } catch (XenException e) {
            throw new UncheckedIOException("cannot start vchan on " + settings.platform(), e);
        }
        try {
            this.loop = EventLoop.start(platform, settings.eventLoopThreads());
        } catch (XenException e) {
            platform.close();
            throw new UncheckedIOException("cannot start vchan's event loop on " + platform.name(), e);
        } catch (RuntimeException e) {
            platform.close();
            throw e;
        }
        CoordinatedShutdown shutdown = CoordinatedShutdown.get(system);
        shutdown.addTask(CoordinatedShutdown.PhaseServiceUnbind(), "vchan-unbind", this::unbindAll);
        shutdown.addTask(CoordinatedShutdown.PhaseServiceStop(), "vchan-close-channels", this::closeAll);
        system.getWhenTerminated().thenRun(() -> {
            try {
                loop.close();
                platform.close();
            } finally {
                released.complete(null);
            }
        });
    }

    /** {@code auto} never starts a simulator by surprise: Xen where it is, xensim only where one is configured. */
    private static XenPlatform openPlatform(VchanSystemSettings s) throws XenException {
        XensimOptions xensim = new XensimOptions(s.xensimHostDir(), s.xensimLibraryDir(),
                s.xensimDomain().map(Domains::bridge));
        return switch (s.platform()) {
            case XEN -> JnaPlatform.xen();
            case XENSIM -> JnaPlatform.xensim(xensim);
            case IN_JVM -> s.inJvmHost().map(InJvmHosts::lease).orElseGet(InMemoryPlatform::new);
            case AUTO -> {
                if (JnaPlatform.xenPresent()) {
                    yield JnaPlatform.xen();
                }
                if (s.xensimHostDir().isPresent()) {
                    yield JnaPlatform.xensim(xensim);
                }
                throw new IllegalStateException("vchan.platform = auto found neither Xen (no /dev/xen/evtchn) nor a"
                        + " xensim host (vchan.xensim.host-dir, or XENSIM_DIR, is not set): run on Xen, or set"
                        + " vchan.platform = xensim (or in-jvm for tests) to use a simulator");
            }
        };
    }

    /** The extension's id. */
    public static final class Id extends ExtensionId<VchanRuntime> {
        @Override
        public VchanRuntime createExtension(ActorSystem<?> system) {
            return new VchanRuntime(system);
        }
    }

    public static final Id ID = new Id();

    public static VchanRuntime get(ActorSystem<?> system) {
        return ID.apply(system);
    }

    public ActorSystem<?> system() {
        return system;
    }

    public VchanSystemSettings settings() {
        return settings;
    }

    public XenPlatform platform() {
        return platform;
    }

    public EventLoop eventLoop() {
        return loop;
    }

    /** Completes once everything of this runtime is closed: a little after the actor system terminated. */
    public CompletionStage<Void> whenReleased() {
        return released;
    }

    /** The domain connections act as, under these settings. */
    public DomainId localDomain(VchanSettings s) {
        return s.localDomain().isPresent() ? DomainId.of(s.localDomain().getAsInt()) : platform.selfDomain();
    }

    /** Spawns the actor that will own an endpoint made by {@code opener}. */
    public EndpointHandle spawnEndpoint(Target target, EndpointOpener opener, VchanSettings s) {
        ConnectionCounters counters = new ConnectionCounters();
        EventRoute route = new EventRoute();
        CompletableFuture<RingEndpoint> opened = new CompletableFuture<>();
        CompletableFuture<Void> closed = new CompletableFuture<>();
        ActorRef<EndpointProtocol.Command> ref = system.systemActorOf(
                EndpointActor.create(target, loop, opener, blocking(s), s.readChunkSize(), s.spinBeforeSleep(), counters,
                        route, opened, closed),
                "vchan-endpoint-" + names.incrementAndGet(), Props.empty());
        CompletableFuture<Done> whenClosed = new CompletableFuture<>();
        closed.whenComplete((ok, err) -> {
            if (err != null) {
                whenClosed.completeExceptionally(Failures.toApi(err));
            } else {
                whenClosed.complete(Done.getInstance());
            }
        });
        EndpointHandle handle = new EndpointHandle(ref, opened, closed, whenClosed, counters, route);
        endpoints.add(handle);
        whenClosed.whenComplete((ok, err) -> endpoints.remove(handle));
        return handle;
    }

    /** A binding to unbind at shutdown, until it is unbound. */
    void track(Supplier<CompletionStage<Done>> unbind, CompletionStage<Done> unbound) {
        bindings.add(unbind);
        unbound.whenComplete((ok, err) -> bindings.remove(unbind));
    }

    private CompletionStage<Done> unbindAll() {
        List<CompletableFuture<Done>> all = bindings.stream()
                .map(u -> u.get().toCompletableFuture().exceptionally(e -> Done.getInstance()))
                .toList();
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).thenApply(v -> Done.getInstance());
    }

    private CompletionStage<Done> closeAll() {
        List<CompletableFuture<Done>> all = endpoints.stream()
                .map(h -> {
                    h.actor().tell(EndpointProtocol.Close.INSTANCE);
                    return h.whenClosed().toCompletableFuture().exceptionally(e -> Done.getInstance());
                })
                .toList();
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).thenApply(v -> Done.getInstance());
    }

    /** Publishes a channel for {@code peer} at {@code path}, on the set-up executor. */
    public EndpointOpener publisher(DomainId self, DomainId peer, String path, VchanSettings s) {
        return EndpointOpener.onSetup(() -> VchanServer.publish(platform, loop.channels(self), peer, path,
                s.readRingSize(), s.writeRingSize()));
    }

    /**
     * Connects to the server's channel at {@code path}: waits up to the connect
     * timeout for its keys with a watch on the local domain's shared XenStore
     * connection (no thread blocked), then maps on the set-up executor.
     */
    public EndpointOpener connector(DomainId self, DomainId server, String path, VchanSettings s) {
        Duration timeout = s.connectTimeout().orElse(FOREVER);
        return (setup, ownerStopped) -> CompletableFuture.supplyAsync(() -> {
            // on the set-up executor too: setting the watch and the first look talk to XenStore
            CompletableFuture<ServerKeys> keys;
            try {
                keys = ServerKeys.await(loop.storeWatches(self), server, path, timeout);
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
    public Executor blocking(VchanSettings s) {
        return system.dispatchers().lookup(DispatcherSelector.fromConfig(s.blockingDispatcher()));
    }
}
