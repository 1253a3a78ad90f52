package io.vchan.connector;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vchan.connector.impl.EndpointProtocol;
import io.vchan.connector.impl.OpenConnection;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.testkit.TestPublisher;
import org.apache.pekko.stream.testkit.TestSubscriber;
import org.apache.pekko.stream.testkit.javadsl.TestSink;
import org.apache.pekko.stream.testkit.javadsl.TestSource;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

/**
 * The server and client flows, Flow against Flow in this JVM: data, demand,
 * batching, every way a connection ends, timeouts and the materialized
 * connection. Each test ends with the leak checks of {@link VchanTestSupport}.
 */
abstract class VchanFlowContract extends VchanTestSupport {

    /** A flow with probes on both sides, and its materialized connection. */
    record Side(TestPublisher.Probe<ByteString> up, CompletionStage<VchanConnection> connection,
            TestSubscriber.Probe<ByteString> down) {

        VchanConnection conn() throws Exception {
            return await(connection);
        }
    }

    Side run(Flow<ByteString, ByteString, CompletionStage<VchanConnection>> flow) {
        Pair<Pair<TestPublisher.Probe<ByteString>, CompletionStage<VchanConnection>>, TestSubscriber.Probe<ByteString>>
                p = TestSource.<ByteString>create(system).viaMat(flow, Keep.both())
                        .toMat(TestSink.create(system), Keep.both()).run(mat);
        return new Side(p.first().first(), p.first().second(), p.second());
    }

    Side server(VchanPort port, VchanSettings s) {
        return run(vchan.server(CLIENT, port, s));
    }

    Side client(VchanPort port, VchanSettings s) {
        return run(vchan.client(SERVER, port, s));
    }

    /** A server that sends back whatever it reads; half-closes when the client does. */
    CompletionStage<VchanConnection> echoServer(VchanPort port) {
        return vchan.server(CLIENT, port, serverSettings()).joinMat(Flow.create(), Keep.left()).run(mat);
    }

    /** Requests elements one by one until {@code n} bytes came. */
    static ByteString readBytes(TestSubscriber.Probe<ByteString> down, int n) {
        ByteString got = ByteString.emptyByteString();
        while (got.size() < n) {
            ByteString chunk = down.requestNext();
            assertTrue(chunk.size() > 0, "elements are never empty");
            got = got.concat(chunk);
        }
        assertEquals(n, got.size(), "no more bytes than sent");
        return got;
    }

    static ByteString random(SplittableRandom rnd, int n) {
        byte[] b = new byte[n];
        rnd.nextBytes(b);
        return ByteString.fromArrayUnsafe(b);
    }

    @Test
    void requestResponseWithHalfClose() throws Exception {
        VchanPort port = freshPort();
        CompletionStage<VchanConnection> server = echoServer(port);
        Side client = client(port, clientSettings());

        client.up().sendNext(ByteString.fromString("ping"));
        assertEquals("ping", readBytes(client.down(), 4).utf8String());
        client.up().sendNext(ByteString.fromString("hello, "));
        client.up().sendNext(ByteString.fromString("dom0"));
        assertEquals("hello, dom0", readBytes(client.down(), 11).utf8String());

        // our write shutdown ends the echo's input; it then half-closes too and we see the end
        client.up().sendComplete();
        client.down().request(1).expectComplete();
        await(client.conn().whenClosed());
        await(await(server).whenClosed());
    }

    /**
     * A client waits for its server's keys with a XenStore watch, not a thread:
     * a hundred waiting at once add no thread (Pekko's own dispatchers, which
     * grow with load, aside), and each connects once its server comes.
     */
    @Test
    void clientsWaitingForTheirServersHoldNoThreadEach() throws Exception {
        int n = 100;
        long threadsBefore = threadsOtherThanPekkos();
        List<VchanPort> ports = new ArrayList<>();
        List<CompletionStage<ByteString>> replies = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            VchanPort port = freshPort();
            ports.add(port);
            replies.add(Source.single(ByteString.fromString("c" + i))
                    .via(vchan.client(SERVER, port, clientSettings().withConnectTimeout(Duration.ofSeconds(60))))
                    .runFold(ByteString.emptyByteString(), ByteString::concat, mat));
        }
        eventually("all " + n + " clients wait on a watch",
                () -> pendingWatches(CLIENT) == n);
        long threadsWaiting = threadsOtherThanPekkos();
        // the set-up dispatcher's two threads may start now if no test started them before
        assertTrue(threadsWaiting <= threadsBefore + 2,
                n + " waiting clients: " + threadsWaiting + " threads, " + threadsBefore + " before");
        for (VchanPort port : ports) {
            echoServer(port);
        }
        for (int i = 0; i < n; i++) {
            assertEquals("c" + i, await(replies.get(i)).utf8String());
        }
    }

    @Test
    void severalMebibytesOfRandomSizedElementsArriveIntact() throws Exception {
        VchanPort port = freshPort();
        CompletionStage<VchanConnection> server = echoServer(port);
        SplittableRandom rnd = new SplittableRandom(42);
        List<ByteString> elements = new ArrayList<>();
        MessageDigest sent = MessageDigest.getInstance("SHA-256");
        long total = 0;
        while (total < (6 << 20)) {
            ByteString e = random(rnd, 1 + rnd.nextInt(200_000));
            elements.add(e);
            sent.update(e.toArray());
            total += e.size();
        }
        MessageDigest received = MessageDigest.getInstance("SHA-256");
        Pair<CompletionStage<VchanConnection>, CompletionStage<Long>> p = Source.from(elements)
                .viaMat(vchan.client(SERVER, port, clientSettings()), Keep.right())
                .toMat(Sink.fold(0L, (n, b) -> {
                    received.update(b.toArray());
                    return n + b.size();
                }), Keep.both()).run(mat);

        assertEquals(total, await(p.second()));
        assertArrayEquals(sent.digest(), received.digest(), "SHA-256 of what came back");
        VchanConnection conn = await(p.first());
        await(conn.whenClosed());
        assertEquals(total, conn.bytesOut());
        assertEquals(total, conn.bytesIn());
        assertEquals(total, await(server).bytesIn());
    }

    @Test
    void nothingIsReadFromTheRingWithoutDownstreamDemand() throws Exception {
        VchanPort port = freshPort();
        Side server = server(port, serverSettings());
        Side client = client(port, clientSettings());
        VchanConnection sc = server.conn();
        VchanConnection cc = client.conn();
        int ring = cc.writeRingSize();
        ByteString data = random(new SplittableRandom(7), 4 * ring);

        client.up().sendNext(data);
        // the ring fills up and the writer waits: the server read nothing, nobody asked it to
        eventually("the client's write waits on a full ring", () -> cc.ringFullWaits() > 0);
        assertEquals(ring, cc.bytesOut(), "exactly one ring's worth is in the ring");
        assertEquals(0, sc.bytesIn(), "the server read nothing without demand");

        assertEquals(data, readBytes(server.down(), data.size()));
        eventually("all bytes moved", () -> cc.bytesOut() == data.size());
        client.up().sendComplete();
        server.down().request(1).expectComplete();
        server.up().sendComplete();
        client.down().request(1).expectComplete();
    }

    @Test
    void smallElementsAreBatchedIntoFewRingWrites() throws Exception {
        VchanPort port = freshPort();
        CompletionStage<VchanConnection> server = echoServer(port);
        int elements = 20_000;
        List<ByteString> small = new ArrayList<>();
        for (int i = 0; i < elements; i++) {
            small.add(ByteString.fromString(String.format("%07d;", i)));
        }
        Pair<CompletionStage<VchanConnection>, CompletionStage<ByteString>> p = Source.from(small)
                .viaMat(vchan.client(SERVER, port, clientSettings()), Keep.right())
                .toMat(Sink.fold(ByteString.emptyByteString(), ByteString::concat), Keep.both()).run(mat);

        ByteString expected = small.stream().reduce(ByteString.emptyByteString(), ByteString::concat);
        assertEquals(expected, await(p.second()));
        VchanConnection conn = await(p.first());
        assertTrue(conn.ringWrites() * 10 < elements, "ring writes " + conn.ringWrites() + " for " + elements
                + " elements: batched");
        assertTrue(conn.notificationsOut() < elements / 10, "notifications out " + conn.notificationsOut());
        await(await(server).whenClosed());
    }

    @Test
    void halfCloseLetsThePeerFinishWriting() throws Exception {
        VchanPort port = freshPort();
        Side server = server(port, serverSettings());
        Side client = client(port, clientSettings());

        client.up().sendNext(ByteString.fromString("request"));
        client.up().sendComplete();
        // the server drains what we wrote, then sees our end of writing
        assertEquals("request", readBytes(server.down(), 7).utf8String());
        server.down().request(1).expectComplete();
        // ... while we keep reading what it still writes
        server.up().sendNext(ByteString.fromString("late "));
        server.up().sendNext(ByteString.fromString("reply"));
        assertEquals("late reply", readBytes(client.down(), 10).utf8String());
        server.up().sendComplete();
        client.down().request(1).expectComplete();
        await(server.conn().whenClosed());
        await(client.conn().whenClosed());
    }

    @Test
    void withoutHalfCloseUpstreamCompletionClosesTheChannel() throws Exception {
        VchanPort port = freshPort();
        Side server = server(port, serverSettings());
        Side client = client(port, clientSettings().withHalfClose(false));

        client.up().sendNext(ByteString.fromString("bye"));
        client.up().sendComplete();
        // we flush, then close: our downstream ends without waiting for the peer
        client.down().request(1).expectComplete();
        await(client.conn().whenClosed());
        assertEquals("bye", readBytes(server.down(), 3).utf8String());
        server.down().request(1).expectComplete();
        // the peer is gone, not merely shut down for writing: nothing we write could arrive,
        // so our side stops taking input and ends cleanly, as nothing of ours was lost
        server.up().expectCancellation();
        await(server.conn().whenClosed());
        // (a write still pending when the peer goes fails with VchanPeerClosedException:
        // FlowPeerKilledInEachStateTest, "writing-full-ring")
    }

    @Test
    void peerCloseCompletesDownstreamAfterTheRingIsDrained() throws Exception {
        VchanPort port = freshPort();
        Side server = server(port, serverSettings());
        Side client = client(port, clientSettings());
        VchanConnection cc = client.conn();
        ByteString data = random(new SplittableRandom(3), cc.writeRingSize() - 100);

        client.up().sendNext(data);
        eventually("the data is in the ring", () -> cc.bytesOut() == data.size());
        client.down().cancel(); // the client closes with its data unread in the ring
        client.up().expectCancellation();
        await(cc.whenClosed());

        assertEquals(data, readBytes(server.down(), data.size()), "what was in the ring still arrives");
        server.down().request(1).expectComplete();
        server.up().sendComplete();
        await(server.conn().whenClosed());
    }

    @Test
    void downstreamCancelClosesTheChannelAndThePeerSeesIt() throws Exception {
        VchanPort port = freshPort();
        Side server = server(port, serverSettings());
        Side client = client(port, clientSettings());
        VchanConnection conn = client.conn();

        client.down().cancel();
        client.up().expectCancellation();
        await(conn.whenClosed());
        server.down().request(1).expectComplete();
        server.up().sendComplete();
        await(server.conn().whenClosed());
    }

    @Test
    void aFailingDownstreamAbortsTheChannelWithItsCause() throws Exception {
        VchanPort port = freshPort();
        Side server = server(port, serverSettings());
        Side client = client(port, clientSettings());
        VchanConnection conn = client.conn();
        RuntimeException broke = new RuntimeException("downstream broke");

        client.down().cancel(broke); // what a failing stage downstream does
        client.up().expectCancellationWithCause(broke);
        assertSame(broke, failureOf(conn.whenClosed()), "aborted, not closed in order");
        server.down().request(1).expectComplete(); // the peer sees the channel go
        server.up().sendComplete();
        await(server.conn().whenClosed());
    }

    @Test
    void upstreamFailureClosesTheChannelAndFailsWithTheOriginalCause() throws Exception {
        VchanPort port = freshPort();
        Side server = server(port, serverSettings());
        Side client = client(port, clientSettings());
        VchanConnection conn = client.conn();
        RuntimeException boom = new RuntimeException("boom");

        client.down().request(1);
        client.up().sendError(boom);
        assertSame(boom, client.down().expectError());
        assertSame(boom, failureOf(conn.whenClosed()));
        server.down().request(1).expectComplete();
        server.up().sendComplete();
    }

    @Test
    void aClientWithoutServerFailsWithAConnectTimeoutNamingThePath() throws Exception {
        VchanPort port = freshPort();
        Side client = client(port, clientSettings().withConnectTimeout(Duration.ofMillis(300)));

        Throwable e = client.down().request(1).expectError();
        assertInstanceOf(VchanConnectTimeoutException.class, e);
        assertTrue(e.getMessage().contains(port.path(SERVER, CLIENT)), e.getMessage());
        assertTrue(e.getMessage().contains("dom0"), e.getMessage());
        assertSame(e, failureOf(client.connection()));
        client.up().expectCancellation();
    }

    @Test
    void aQuietConnectionFailsWithTheIdleTimeout() throws Exception {
        VchanPort port = freshPort();
        Side server = server(port, serverSettings());
        Side client = client(port, clientSettings().withIdleTimeout(Duration.ofMillis(300)));
        VchanConnection conn = client.conn();

        client.up().sendNext(ByteString.fromString("x"));
        assertEquals("x", readBytes(server.down(), 1).utf8String());
        Throwable e = client.down().request(1).expectError();
        assertInstanceOf(VchanIdleTimeoutException.class, e);
        assertTrue(e.getMessage().contains(port.path(SERVER, CLIENT)), e.getMessage());
        assertSame(e, failureOf(conn.whenClosed()));
        server.down().request(1).expectComplete();
        server.up().sendComplete();
    }

    @Test
    void theConnectionTellsWhoWhereAndHowMuch() throws Exception {
        VchanPort port = freshPort();
        Side server = server(port, serverSettings().withReadRingSize(8192).withWriteRingSize(1024));
        Side client = client(port, clientSettings());
        VchanConnection sc = server.conn();
        VchanConnection cc = client.conn();

        assertTrue(sc.isServer());
        assertEquals(SERVER, sc.localDomain());
        assertEquals(CLIENT, sc.peerDomain());
        assertEquals(CLIENT, cc.localDomain());
        assertEquals(SERVER, cc.peerDomain());
        assertEquals(port, sc.port());
        assertEquals("/local/domain/0/data/vchan/1/" + port.name(), sc.xenStorePath());
        assertEquals(sc.xenStorePath(), cc.xenStorePath());
        assertEquals(8192, sc.readRingSize());
        assertEquals(2048, sc.writeRingSize()); // rule 4 of the order table: (13, 11)
        assertEquals(sc.readRingSize(), cc.writeRingSize());
        assertEquals(sc.writeRingSize(), cc.readRingSize());

        client.up().sendNext(ByteString.fromString("12345"));
        readBytes(server.down(), 5);
        server.up().sendNext(ByteString.fromString("abc"));
        readBytes(client.down(), 3);
        // a side's own reads are counted before it sees the bytes; the writer's count races the peer's read
        assertEquals(3, cc.bytesIn());
        assertEquals(5, sc.bytesIn());
        eventually("the client counted 5 bytes out", () -> cc.bytesOut() == 5);
        eventually("the server counted 3 bytes out", () -> sc.bytesOut() == 3);
        assertTrue(sc.notificationsIn() > 0, "the server was woken for data");
        eventually("the client counted waking the server", () -> cc.notificationsOut() > 0);

        CompletionStage<Done> closed = cc.whenClosed();
        assertTrue(!closed.toCompletableFuture().isDone(), "open while the stream runs");
        client.up().sendComplete();
        server.down().request(1).expectComplete();
        server.up().sendComplete();
        client.down().request(1).expectComplete();
        await(closed);
        await(sc.whenClosed());
    }

    @Test
    void anActorFailureReleasesTheChannelAndFailsTheStream() throws Exception {
        VchanPort port = freshPort();
        Side server = server(port, serverSettings());
        Side client = client(port, clientSettings());
        VchanConnection conn = client.conn();
        IllegalStateException bug = new IllegalStateException("a reply callback failed");

        // a request whose reply throws: the actor must not survive holding the channel
        ((OpenConnection) conn).endpointActor().tell(new EndpointProtocol.AwaitPeer(err -> {
            throw bug;
        }));
        assertSame(bug, failureOf(conn.whenClosed()));
        assertSame(bug, client.down().request(1).expectError());
        client.up().expectCancellation();
        server.down().request(1);
        server.down().expectComplete();
        server.up().sendComplete();
    }

    @Test
    void theActorRefusesToCopyOnceTheStageDrivesTheRing() throws Exception {
        VchanPort port = freshPort();
        Side server = server(port, serverSettings());
        Side client = client(port, clientSettings());
        CompletableFuture<Throwable> refused = new CompletableFuture<>();

        // a second writer beside the stage would break the ring's one-writer rule
        ((OpenConnection) client.conn()).endpointActor().tell(new EndpointProtocol.Write(ByteString.fromString("x"), refused::complete));
        assertInstanceOf(IllegalStateException.class, await(refused));
        client.up().sendNext(ByteString.fromString("y"));
        server.down().request(1);
        assertEquals(ByteString.fromString("y"), server.down().expectNext());
        client.up().sendComplete();
        server.up().sendComplete();
        client.down().request(1).expectComplete();
        server.down().request(1).expectComplete();
    }

    @Test
    void aServerCancelledBeforeItsClientCameUnpublishes() throws Exception {
        VchanPort port = freshPort();
        Side server = server(port, serverSettings());
        server.down().cancel();
        server.up().expectCancellation();
        assertInstanceOf(VchanClosedException.class, failureOf(server.connection()));
        // nothing is left to connect to
        Side client = client(port, clientSettings().withConnectTimeout(Duration.ofMillis(200)));
        assertInstanceOf(VchanConnectTimeoutException.class, client.down().request(1).expectError());
    }
}
