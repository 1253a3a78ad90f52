package io.vchan.connector;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vchan.bridge.testing.PeerProcess;
import io.vchan.bridge.testing.SimulatedHost;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.pekko.Done;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The crash matrix for our Flow: a libxenvchan peer (its own process) is
 * SIGKILLed while our side is connected and idle, writing into a full ring,
 * reading, or closing, in both roles. Our stream ends as documented — it
 * completes when nothing of ours was lost, it fails with
 * {@link VchanPeerClosedException} when writes could not be delivered —
 * within 100 ms, and every resource is released (checked after each test).
 */
class FlowPeerKilledInEachStateTest extends VchanTestSupport {

    private static final long LIMIT_MS = 100;
    private static final ConcurrentLinkedQueue<String> TABLE = new ConcurrentLinkedQueue<>();

    @Override
    TestPlatform platform() {
        return TestPlatform.XENSIM;
    }

    @AfterAll
    static void printTable() {
        System.out.println("crash matrix (Flow, libxenvchan peer SIGKILLed):");
        TABLE.forEach(row -> System.out.println("  " + row));
    }

    @ParameterizedTest(name = "our {0} while {1}")
    @CsvSource({"server,idle", "client,idle", "server,writing-full-ring", "client,writing-full-ring",
        "server,reading", "client,reading", "server,closing", "client,closing"})
    void ourStreamEndsAsDocumentedWithin100ms(String ourRole, String state) throws Exception {
        boolean weServe = ourRole.equals("server");
        VchanPort port = freshPort();
        String path = port.path(SERVER, CLIENT);
        List<String> peerArgs = new ArrayList<>(weServe
                ? List.of("client", "--peer", "0", "--path", path)
                : List.of("server", "--peer", "1", "--path", path));
        // the peer never reads unless we are to read from it; when we read, it streams without end
        peerArgs.addAll(state.equals("reading")
                ? List.of("--send", Long.toString(1L << 50), "--no-verify")
                : List.of("--expect", "0", "--wait-close"));

        boolean writing = state.equals("writing-full-ring");
        Source<ByteString, Object> upstream = writing
                ? Source.repeat(ByteString.fromArrayUnsafe(new byte[65536])).mapMaterializedValue(m -> m)
                : Source.<ByteString>maybe().mapMaterializedValue(m -> m);
        try (SimulatedHost host = SimulatedHost.sharedWithThisJvm()) {
            PeerProcess peer = null;
            if (!weServe) {
                peer = host.libxenvchanDriver(SERVER.value(), peerArgs);
                peer.awaitLine("listening", TIMEOUT);
            }
            var flow = weServe ? vchan.server(CLIENT, port, serverSettings())
                    : vchan.client(SERVER, port, clientSettings());
            Pair<Pair<Object, CompletionStage<VchanConnection>>, CompletionStage<Done>> run = upstream
                    .viaMat(flow, Keep.both())
                    .toMat(Sink.ignore(), Keep.both())
                    .run(mat);
            if (weServe) {
                peer = host.libxenvchanDriver(CLIENT.value(), peerArgs);
            }
            VchanConnection connection = await(run.first().second());
            CompletionStage<Done> ended = run.second();
            switch (state) {
                case "writing-full-ring" -> eventually("the ring is full", () -> connection.ringFullWaits() > 0);
                case "reading" -> eventually("data is flowing in", () -> connection.bytesIn() > 1_000_000);
                default -> peer.awaitLine("ready", TIMEOUT);
            }
            if (state.equals("closing")) {
                // our close and the peer's death at once: end our upstream, then kill
                completeMaybe(run.first().first());
            }
            long killed = System.nanoTime();
            peer.kill();
            Optional<Throwable> failure = outcome(ended);
            long ms = (System.nanoTime() - killed) / 1_000_000;
            await(connection.whenClosed().exceptionally(e -> null));
            TABLE.add(String.format("our %-6s %-18s -> %-30s %3d ms", ourRole, state,
                    failure.map(t -> "fails: " + t.getClass().getSimpleName()).orElse("completes"), ms));
            if (writing) {
                assertTrue(failure.isPresent(), "writes that cannot be delivered must fail the stream");
                assertInstanceOf(VchanPeerClosedException.class, failure.get(), String.valueOf(failure.get()));
            } else {
                assertTrue(failure.isEmpty(), "nothing of ours was lost, the stream completes: " + failure);
            }
            assertTrue(ms < LIMIT_MS, "ended " + ms + " ms after the kill, limit " + LIMIT_MS);
        }
    }

    @SuppressWarnings("unchecked")
    private static void completeMaybe(Object materialized) {
        ((CompletableFuture<Optional<ByteString>>) materialized).complete(Optional.empty());
    }

    private static Optional<Throwable> outcome(CompletionStage<Done> ended) throws InterruptedException {
        try {
            ended.toCompletableFuture().get(TIMEOUT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
            return Optional.empty();
        } catch (java.util.concurrent.ExecutionException e) {
            return Optional.of(e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("our stream did not end within " + TIMEOUT + " of the kill", e);
        }
    }
}
