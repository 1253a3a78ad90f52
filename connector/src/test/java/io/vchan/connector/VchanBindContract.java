package io.vchan.connector;

import static io.vchan.connector.VchanTestSupport.await;
import static io.vchan.connector.VchanTestSupport.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.vchan.bridge.xen.XenStore;
import io.vchan.connector.impl.Domains;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.testkit.TestSubscriber;
import org.apache.pekko.stream.testkit.javadsl.StreamTestKit;
import org.apache.pekko.stream.testkit.javadsl.TestSink;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link Vchan#bind} over one platform, server (dom0) and clients (dom1) in
 * this JVM. Every test ends with all stages stopped and the platform holding
 * what it held before the test.
 */
abstract class VchanBindContract {

    static final DomainId SERVER = DomainId.DOM0;
    static final DomainId CLIENT = DomainId.of(1);
    static final Duration TIMEOUT = Duration.ofSeconds(15);
    private static final AtomicInteger PORTS = new AtomicInteger();

    final ActorTestKit testKit;
    final Vchan vchan;
    final VchanSettings serverSettings;
    final VchanSettings clientSettings;
    Materializer mat;
    private Object baseline;

    VchanBindContract(String platform) {
        testKit = ActorTestKit.create(getClass().getSimpleName(),
                ConfigFactory.parseString("vchan.platform = " + platform).withFallback(ConfigFactory.load()));
        vchan = Vchan.get(testKit.system());
        serverSettings = vchan.settings().withLocalDomain(SERVER.value());
        clientSettings = vchan.settings().withLocalDomain(CLIENT.value()).withConnectTimeout(TIMEOUT);
    }

    /** What the platform holds now, comparable with equals. */
    abstract Object resources() throws Exception;

    @BeforeEach
    void recordBaseline() throws Exception {
        mat = Materializer.createMaterializer(testKit.system());
        // The event loop keeps one event-channel handle and one XenStore connection per domain: open both
        // domains' before counting.
        vchan.runtime().eventLoop().channels(Domains.bridge(SERVER));
        vchan.runtime().eventLoop().channels(Domains.bridge(CLIENT));
        vchan.runtime().eventLoop().storeWatches(Domains.bridge(SERVER));
        vchan.runtime().eventLoop().storeWatches(Domains.bridge(CLIENT));
        baseline = resources();
    }

    @AfterEach
    void everythingStoppedAndReleased() throws Exception {
        StreamTestKit.assertAllStagesStopped(mat, TIMEOUT);
        mat.shutdown();
        eventually("resources back to " + baseline + " (now " + resourcesUnchecked() + ")",
                () -> Objects.equals(baseline, resourcesUnchecked()));
    }

    @AfterAll
    void shutdown() {
        testKit.shutdownTestKit();
        // the next class's baseline must not see this system's connections still closing
        vchan.runtime().whenReleased().toCompletableFuture().join();
    }

    private Object resourcesUnchecked() {
        try {
            return resources();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    static VchanPort freshPort() {
        return VchanPort.of("bind" + PORTS.incrementAndGet());
    }

    /** Upper-cases ASCII: byte by byte, so it does not matter how the bytes are chunked. */
    static Flow<ByteString, ByteString, ?> upperCase() {
        return Flow.of(ByteString.class).map(b -> ByteString.fromString(b.utf8String().toUpperCase()));
    }

    /** One client: sends {@code text}, half-closes, and collects what comes back until the server closes. */
    CompletionStage<String> request(VchanPort port, String text) {
        return Source.single(ByteString.fromString(text))
                .via(vchan.client(SERVER, port, clientSettings))
                .runFold(ByteString.emptyByteString(), ByteString::concat, mat)
                .thenApply(ByteString::utf8String);
    }

    boolean published(VchanPort port) {
        try (XenStore xs = vchan.runtime().platform().openXenStore(Domains.bridge(SERVER))) {
            return xs.read(0, port.path(SERVER, CLIENT) + "/ring-ref").isPresent();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void serves_three_clients_one_after_another() throws Exception {
        VchanPort port = freshPort();
        List<IncomingVchanConnection> accepted = new ArrayList<>();
        Pair<CompletionStage<VchanBinding>, CompletionStage<Done>> running = vchan.bind(CLIENT, port, serverSettings)
                .toMat(Sink.foreach(c -> {
                    accepted.add(c);
                    c.handleWith(upperCase(), mat);
                }), Keep.both())
                .run(mat);
        VchanBinding binding = await(running.first());
        assertEquals(port.path(SERVER, CLIENT), binding.xenStorePath());
        assertEquals(SERVER, binding.localDomain());
        assertEquals(CLIENT, binding.peerDomain());

        for (int i = 1; i <= 3; i++) {
            assertEquals("HELLO FROM CLIENT " + i, await(request(port, "hello from client " + i)));
        }
        await(binding.unbind());
        await(running.second());
        assertEquals(3, accepted.size());
        for (IncomingVchanConnection c : accepted) {
            assertEquals(CLIENT, c.peerDomain());
            assertEquals(SERVER, c.localDomain());
            assertEquals(port, c.port());
        }
        assertFalse(published(port));
    }

    @Test
    void serves_and_connects_at_an_explicit_xenstore_path() throws Exception {
        // not the conventional data/vchan/<client>/<port> layout: as vchan-socket-proxy users name it
        String path = "/local/domain/0/data/at-path-" + PORTS.incrementAndGet();
        Pair<CompletionStage<VchanBinding>, CompletionStage<Done>> running = vchan.bindAt(CLIENT, path, serverSettings)
                .toMat(Sink.foreach(c -> c.handleWith(upperCase(), mat)), Keep.both())
                .run(mat);
        VchanBinding binding = await(running.first());
        assertEquals(path, binding.xenStorePath());
        assertEquals(path.substring(path.lastIndexOf('/') + 1), binding.port().name());

        Pair<CompletionStage<VchanConnection>, CompletionStage<ByteString>> client =
                Source.single(ByteString.fromString("explicit"))
                        .viaMat(vchan.clientAt(SERVER, path, clientSettings), Keep.right())
                        .toMat(Sink.fold(ByteString.emptyByteString(), ByteString::concat), Keep.both())
                        .run(mat);
        assertEquals("EXPLICIT", await(client.second()).utf8String());
        assertEquals(path, await(client.first()).xenStorePath());
        await(binding.unbind());
        await(running.second());
    }

    @Test
    void an_invalid_explicit_path_is_refused_before_anything_runs() {
        IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class,
                () -> vchan.clientAt(SERVER, "/local/domain/0/data/" + "x".repeat(40), clientSettings));
        assertTrue(tooLong.getMessage().contains("at most 49"), tooLong.getMessage());
        IllegalArgumentException badChars = assertThrows(IllegalArgumentException.class,
                () -> vchan.bindAt(CLIENT, "/local//domain", serverSettings));
        assertTrue(badChars.getMessage().contains("invalid XenStore path"), badChars.getMessage());
    }

    @Test
    void the_next_client_is_accepted_only_on_demand_and_waits_its_turn() throws Exception {
        VchanPort port = freshPort();
        Pair<CompletionStage<VchanBinding>, TestSubscriber.Probe<IncomingVchanConnection>> running =
                vchan.bind(CLIENT, port, serverSettings).toMat(TestSink.probe(testKit.system().classicSystem()),
                        Keep.both()).run(mat);
        VchanBinding binding = await(running.first());
        TestSubscriber.Probe<IncomingVchanConnection> probe = running.second();
        probe.ensureSubscription();

        CompletionStage<String> first = request(port, "first");
        eventually("the first client took the channel", () -> !published(port) || first.toCompletableFuture().isDone());
        probe.expectNoMessage(Duration.ofMillis(200));
        // A second client waits while the first is connected: nothing is published for it yet.
        CompletionStage<String> second = request(port, "second");

        probe.request(1);
        probe.expectNext(TIMEOUT).handleWith(upperCase(), mat);
        assertEquals("FIRST", await(first));
        assertFalse(second.toCompletableFuture().isDone());

        probe.request(1);
        probe.expectNext(TIMEOUT).handleWith(upperCase(), mat);
        assertEquals("SECOND", await(second));

        await(binding.unbind());
        probe.expectComplete();
        await(binding.whenUnbound());
    }

    @Test
    void a_connection_flow_materializes_once() throws Exception {
        VchanPort port = freshPort();
        Pair<CompletionStage<VchanBinding>, TestSubscriber.Probe<IncomingVchanConnection>> running =
                vchan.bind(CLIENT, port, serverSettings).toMat(TestSink.probe(testKit.system().classicSystem()),
                        Keep.both()).run(mat);
        VchanBinding binding = await(running.first());
        CompletionStage<String> reply = request(port, "once");
        IncomingVchanConnection incoming = running.second().requestNext(TIMEOUT);

        CompletionStage<VchanConnection> handled = incoming.flow().join(upperCase()).run(mat);
        // materializations take the channel asynchronously: the second comes after the first has it
        assertEquals(CLIENT, await(handled).peerDomain());
        CompletionStage<VchanConnection> again = incoming.flow().join(Flow.<ByteString>create()).run(mat);
        ExecutionException e = assertThrows(ExecutionException.class, () -> await(again));
        assertInstanceOf(IllegalStateException.class, e.getCause());
        assertEquals("ONCE", await(reply));

        await(binding.unbind());
        running.second().expectComplete();
    }

    @Test
    void unbind_unpublishes_and_a_later_client_times_out() throws Exception {
        VchanPort port = freshPort();
        Pair<CompletionStage<VchanBinding>, CompletionStage<Done>> running = vchan.bind(CLIENT, port, serverSettings)
                .toMat(Sink.foreach(c -> c.handleWith(upperCase(), mat)), Keep.both())
                .run(mat);
        VchanBinding binding = await(running.first());
        assertTrue(published(port));
        assertEquals("ONE", await(request(port, "one")));

        assertEquals(Done.getInstance(), await(binding.unbind()));
        assertEquals(Done.getInstance(), await(running.second()));
        assertFalse(published(port));
        assertEquals(Done.getInstance(), await(binding.unbind()), "unbind is idempotent");

        VchanSettings impatient = clientSettings.withConnectTimeout(Duration.ofMillis(300));
        CompletionStage<?> late = Source.single(ByteString.fromString("late"))
                .via(vchan.client(SERVER, port, impatient))
                .runWith(Sink.ignore(), mat);
        ExecutionException e = assertThrows(ExecutionException.class, () -> await(late));
        assertInstanceOf(VchanConnectTimeoutException.class, e.getCause());
    }

    @Test
    void cancelling_the_source_releases_everything_even_a_client_not_yet_accepted() throws Exception {
        VchanPort port = freshPort();
        Pair<CompletionStage<VchanBinding>, TestSubscriber.Probe<IncomingVchanConnection>> running =
                vchan.bind(CLIENT, port, serverSettings).toMat(TestSink.probe(testKit.system().classicSystem()),
                        Keep.both()).run(mat);
        VchanBinding binding = await(running.first());
        // Connected at the ring level but never accepted: no demand.
        CompletableFuture<VchanConnection> connected = new CompletableFuture<>();
        CompletionStage<List<ByteString>> client = Source.<ByteString>empty()
                .viaMat(vchan.client(SERVER, port, clientSettings), Keep.right())
                .mapMaterializedValue(c -> c.whenComplete((v, err) -> {
                    if (v != null) {
                        connected.complete(v);
                    } else {
                        connected.completeExceptionally(err);
                    }
                }))
                .runWith(Sink.seq(), mat);
        await(connected);

        running.second().cancel();
        await(binding.whenUnbound());
        assertFalse(published(port));
        assertEquals(List.of(), await(client), "the client sees the channel closed");
    }

    @Test
    void cancelling_before_any_client_unpublishes() throws Exception {
        VchanPort port = freshPort();
        Pair<CompletionStage<VchanBinding>, TestSubscriber.Probe<IncomingVchanConnection>> running =
                vchan.bind(CLIENT, port, serverSettings).toMat(TestSink.probe(testKit.system().classicSystem()),
                        Keep.both()).run(mat);
        VchanBinding binding = await(running.first());
        assertTrue(published(port));
        running.second().cancel();
        await(binding.whenUnbound());
        assertFalse(published(port));
    }
}
