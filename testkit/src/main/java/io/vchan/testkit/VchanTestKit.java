package io.vchan.testkit;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.vchan.bridge.memory.InMemoryPlatform;
import io.vchan.bridge.memory.Resources;
import io.vchan.bridge.xen.GrantMapper;
import io.vchan.bridge.xen.MappedPages;
import io.vchan.bridge.xen.XenException;
import io.vchan.bridge.xen.XenPlatform;
import io.vchan.bridge.xen.XenStore;
import io.vchan.connector.DomainId;
import io.vchan.connector.Vchan;
import io.vchan.connector.VchanConnection;
import io.vchan.connector.VchanPort;
import io.vchan.connector.VchanSettings;
import io.vchan.connector.impl.Domains;
import io.vchan.connector.impl.InJvmHosts;
import io.vchan.connector.impl.VchanRuntime;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.testkit.javadsl.StreamTestKit;

/**
 * vchan for users' own tests: one actor system on an in-JVM Xen host, which
 * other actor systems of the JVM may share (each its own simulated domains,
 * as services in separate domains would be). It makes connected pairs,
 * checks that a test left nothing behind (grants, mappings, ports, XenStore
 * watches and transactions, stream stages, event-loop registrations), and
 * plays the bad peers: one whose domain crashed, one that corrupts the shared page.
 *
 * <pre>{@code
 * ActorTestKit guest = ActorTestKit.create(VchanTestKit.config("host-a"));
 * ActorTestKit manager = ActorTestKit.create(VchanTestKit.config("host-a"));
 * VchanTestKit guestKit = VchanTestKit.create(guest.system(), DomainId.of(1));
 * VchanTestKit managerKit = VchanTestKit.create(manager.system(), DomainId.DOM0);
 * }</pre>
 *
 * Run the streams of a test on {@link #materializer()}: {@link #assertNoLeaks()}
 * checks its stages. A kit takes its baseline when made; with several kits on
 * one host, {@link #recordBaseline()} once all are made (the JUnit extension
 * does so before each test), as each system's event loop adds its handles.
 */
public final class VchanTestKit {

    /** How long the kit waits for a connection, or for resources to come back, unless told otherwise. */
    public static final Duration TIMEOUT = Duration.ofSeconds(20);

    private final ActorSystem<?> system;
    private final Vchan vchan;
    private final VchanRuntime runtime;
    private final InMemoryPlatform host;
    private final List<DomainId> domains;
    private final Materializer materializer;
    private final Duration timeout;
    private Resources baseline;

    private VchanTestKit(VchanTestKit kit, Duration timeout) {
        this.system = kit.system;
        this.vchan = kit.vchan;
        this.runtime = kit.runtime;
        this.host = kit.host;
        this.domains = kit.domains;
        this.materializer = kit.materializer;
        this.timeout = timeout;
        this.baseline = kit.baseline;
    }

    private VchanTestKit(ActorSystem<?> system, List<DomainId> domains) {
        this.timeout = TIMEOUT;
        this.system = system;
        this.vchan = Vchan.get(system);
        this.runtime = VchanRuntime.get(system);
        this.host = hostOf(runtime);
        this.domains = domains;
        this.materializer = Materializer.createMaterializer(system);
        try {
            // the event loop opens one event-channel handle and one XenStore connection per domain, on
            // first use, and keeps them: open them now, so that the baseline has them
            for (DomainId d : domains) {
                runtime.eventLoop().channels(Domains.bridge(d));
                runtime.eventLoop().storeWatches(Domains.bridge(d));
            }
        } catch (XenException e) {
            throw new IllegalStateException("cannot open the event loop's handles for " + domains, e);
        }
        this.baseline = host.resources();
    }

    /**
     * Configuration for an actor system on the in-JVM host {@code host}: systems
     * of this JVM with the same host name share it.
     *
     * @param host the host's name, of {@code [a-zA-Z0-9_-]}
     * @return the configuration, over the application's
     */
    public static Config config(String host) {
        if (!host.matches("[a-zA-Z0-9_-]+")) {
            throw new IllegalArgumentException("an in-JVM host name is of [a-zA-Z0-9_-], not '" + host + "'");
        }
        return ConfigFactory.parseString("vchan.platform = in-jvm\nvchan.in-jvm.host = " + host)
                .withFallback(ConfigFactory.load());
    }

    /**
     * The kit of {@code system}, which runs on the in-JVM platform.
     *
     * @param system  an actor system made with {@link #config(String)} (or on a host of its own:
     *                {@code vchan.platform = in-jvm})
     * @param domains the domains this system's connections act as
     * @return the kit, its baseline taken
     * @throws IllegalArgumentException if the system's vchan is not on the in-JVM platform
     */
    public static VchanTestKit create(ActorSystem<?> system, DomainId... domains) {
        return new VchanTestKit(system, List.of(domains));
    }

    private static InMemoryPlatform hostOf(VchanRuntime runtime) {
        XenPlatform p = runtime.platform();
        if (p instanceof InMemoryPlatform own) {
            return own;
        }
        return runtime.settings().inJvmHost().flatMap(InJvmHosts::host).orElseThrow(() ->
                new IllegalArgumentException("the vchan testkit needs the in-JVM platform (VchanTestKit.config),"
                        + " not " + p.name()));
    }

    /**
     * @param timeout how long {@link #assertNoLeaks()} waits for what is held to come back
     * @return a kit of the same system, materializer and baseline, with that timeout
     */
    public VchanTestKit withTimeout(Duration timeout) {
        return new VchanTestKit(this, timeout);
    }

    /** @return the system's vchan extension */
    public Vchan vchan() {
        return vchan;
    }

    /** @return the actor system */
    public ActorSystem<?> system() {
        return system;
    }

    /** @return the materializer whose stages {@link #assertNoLeaks()} checks */
    public Materializer materializer() {
        return materializer;
    }

    /**
     * @param domain the domain to act as
     * @return the system's connection settings, acting as {@code domain}
     */
    public VchanSettings settingsAs(DomainId domain) {
        return vchan.settings().withLocalDomain(domain);
    }

    /**
     * A server in {@code server} and its client in {@code client}, both in this
     * system, connected, with probes on both ends.
     *
     * @param port   the port
     * @param server the server's domain
     * @param client the client's domain
     * @return both ends, once connected
     */
    public ConnectedPair connectedPair(VchanPort port, DomainId server, DomainId client) {
        return connectedPair(this, server, this, client, port);
    }

    /**
     * A server in {@code serverKit}'s system and its client in {@code clientKit}'s,
     * connected, with probes on both ends.
     *
     * @param serverKit the server's system
     * @param server    the server's domain
     * @param clientKit the client's system (on the same host)
     * @param client    the client's domain
     * @param port      the port
     * @return both ends, once connected
     */
    public static ConnectedPair connectedPair(VchanTestKit serverKit, DomainId server, VchanTestKit clientKit,
            DomainId client, VchanPort port) {
        ConnectedPair.End s = ConnectedPair.End.run(serverKit,
                serverKit.vchan.server(client, port, serverKit.settingsAs(server)));
        ConnectedPair.End c = ConnectedPair.End.run(clientKit,
                clientKit.vchan.client(server, port, clientKit.settingsAs(client)));
        return new ConnectedPair(s.awaitConnected(), c.awaitConnected());
    }

    /** Takes what the host holds now as what it must hold again at {@link #assertNoLeaks()}. */
    public void recordBaseline() {
        baseline = host.resources();
    }

    /**
     * Waits until every stage of {@link #materializer()} has stopped, no port is
     * registered with the event loop, no XenStore watch is pending, and the host
     * holds exactly what it held at the baseline (handles, grants, mappings,
     * ports, watches, transactions), then returns; fails with what is left otherwise.
     * With several systems on one host, every system's channels count.
     *
     * @throws AssertionError naming what was left behind
     */
    public void assertNoLeaks() {
        StreamTestKit.assertAllStagesStopped(materializer, timeout);
        eventually("no port registered with the event loop (" + runtime.eventLoop().registeredPorts() + " are)",
                () -> runtime.eventLoop().registeredPorts() == 0);
        eventually("no XenStore watch pending", () -> domains.stream().allMatch(d -> pendingWatches(d) == 0));
        eventually("the host holds what it held at the baseline, " + baseline,
                () -> baseline.equals(host.resources()), () -> "; it holds " + host.resources());
    }

    private int pendingWatches(DomainId d) {
        try {
            return runtime.eventLoop().storeWatches(Domains.bridge(d)).count();
        } catch (XenException e) {
            throw new AssertionError("cannot count the watches of " + d, e);
        }
    }

    /**
     * Crashes {@code domain}: what the death of its processes does on Xen. Every
     * handle open as it on the host is closed (mappings go with their unmap
     * notifications, ports are unbound), without the protocol's close: its
     * peers see it as a crashed peer. Terminate the actor system that acted as
     * it afterwards: its channels cannot recover.
     *
     * @param domain the domain to crash
     */
    public void crashDomain(DomainId domain) {
        host.crash(Domains.bridge(domain));
    }

    /**
     * Does what a hostile peer can: rewrites the shared page of {@code connection}
     * so that the ring this end reads claims a gigabyte of data. This end's next
     * read fails the connection with {@code VchanProtocolException}.
     *
     * @param connection an open connection of a system on this kit's host
     */
    public void corruptIndices(VchanConnection connection) {
        DomainId server = connection.isServer() ? connection.localDomain() : connection.peerDomain();
        DomainId client = connection.isServer() ? connection.peerDomain() : connection.localDomain();
        try (XenStore xs = host.openXenStore(Domains.bridge(client));
                GrantMapper mapper = host.openGrantMapper(Domains.bridge(client))) {
            byte[] ref = xs.read(0, connection.xenStorePath() + "/ring-ref").orElseThrow(
                    () -> new IllegalStateException(connection + " has no ring-ref: it is not open"));
            int controlPage = Integer.parseInt(new String(ref, StandardCharsets.US_ASCII).trim());
            try (MappedPages page = mapper.map(Domains.bridge(server), new int[] {controlPage}, true)) {
                ByteBuffer shared = page.memory().order(ByteOrder.LITTLE_ENDIAN);
                // the server reads the left ring (cons at 0, prod at 4), the client the right (8, 12)
                int cons = connection.isServer() ? 0 : 8;
                shared.putInt(cons + 4, shared.getInt(cons) + (1 << 30));
            }
        } catch (XenException e) {
            throw new IllegalStateException("cannot map the shared page of " + connection, e);
        }
    }

    private void eventually(String what, BooleanSupplier condition) {
        eventually(what, condition, () -> "");
    }

    private void eventually(String what, BooleanSupplier condition, Supplier<String> detail) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + timeout.toMillis() + " ms: " + what + detail.get());
            }
            try {
                TimeUnit.MILLISECONDS.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for: " + what, e);
            }
        }
    }
}
