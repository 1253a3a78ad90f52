package io.vchan.connector;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vchan.bridge.testing.DriverReport;
import io.vchan.bridge.testing.PeerProcess;
import io.vchan.bridge.testing.SimulatedHost;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.Done;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

/**
 * Our flows against Debian's unmodified libxenvchan (the C test driver) in a
 * process of its own, on the xensim host of this JVM, in both roles. Both
 * sides hash what they sent and received; the hashes must agree.
 */
class LibxenvchanFlowInteropTest extends VchanTestSupport {

    private static final int BYTES = 8 << 20;

    @Override
    TestPlatform platform() {
        return TestPlatform.XENSIM;
    }

    @Test
    void ourServerFlowEchoesALibxenvchanClient() throws Exception {
        VchanPort port = freshPort();
        CompletionStage<VchanConnection> server = vchan.server(CLIENT, port, serverSettings())
                .joinMat(Flow.create(), Keep.left()).run(mat);
        try (SimulatedHost host = SimulatedHost.sharedWithThisJvm()) {
            PeerProcess client = host.libxenvchanDriver(CLIENT.value(), List.of("client", "--peer", "0",
                    "--path", port.path(SERVER, CLIENT), "--send", Integer.toString(BYTES),
                    "--expect", Integer.toString(BYTES), "--seed", "5"));
            DriverReport.assertDelivered(BYTES, client, client, TIMEOUT); // what it sent came back
            client.assertSucceeds(TIMEOUT);
        }
        VchanConnection conn = await(server);
        await(conn.whenClosed()); // the client's close ended the echo
        assertEquals(BYTES, conn.bytesIn());
        assertEquals(BYTES, conn.bytesOut());
    }

    @Test
    void ourClientFlowTalksToALibxenvchanServer() throws Exception {
        VchanPort port = freshPort();
        try (SimulatedHost host = SimulatedHost.sharedWithThisJvm()) {
            PeerProcess server = host.libxenvchanDriver(SERVER.value(), List.of("server", "--peer", "1",
                    "--path", port.path(SERVER, CLIENT), "--send", Integer.toString(BYTES),
                    "--expect", Integer.toString(BYTES), "--seed", "6", "--wait-close"));
            server.awaitLine("listening", TIMEOUT);

            MessageDigest sent = MessageDigest.getInstance("SHA-256");
            SplittableRandom rnd = new SplittableRandom(9);
            Source<ByteString, ?> data = Source.range(0, BYTES / 65536 - 1).map(i -> {
                byte[] b = new byte[65536];
                rnd.nextBytes(b);
                sent.update(b);
                return ByteString.fromArrayUnsafe(b);
            });
            MessageDigest received = MessageDigest.getInstance("SHA-256");
            AtomicLong count = new AtomicLong();
            CompletableFuture<Long> allIn = new CompletableFuture<>();
            Pair<Pair<CompletionStage<VchanConnection>, UniqueKillSwitch>, CompletionStage<Done>> p = data
                    .viaMat(vchan.client(SERVER, port, clientSettings()), Keep.right())
                    .viaMat(KillSwitches.single(), Keep.both())
                    .toMat(Sink.foreach(b -> {
                        received.update(b.toArray());
                        if (count.addAndGet(b.size()) == BYTES) {
                            allIn.complete(count.get());
                        }
                    }), Keep.both()).run(mat);

            // libxenvchan knows no half-close: we close once all its bytes are here and all ours in the ring
            assertEquals(BYTES, await(allIn));
            VchanConnection conn = await(p.first().first());
            eventually("all our bytes are in the ring", () -> conn.bytesOut() == BYTES);
            p.first().second().shutdown();
            await(p.second());
            await(conn.whenClosed());
            assertEquals(new DriverReport(BYTES, hex(sent)), DriverReport.received(server, TIMEOUT));
            assertEquals(new DriverReport(BYTES, hex(received)), DriverReport.sent(server, TIMEOUT));
            server.awaitLine("peer-closed", TIMEOUT);
            server.assertSucceeds(TIMEOUT);
        }
    }

    /**
     * A peer SIGKILLed while we stream to it: xensim runs its unmap notification,
     * and our stream fails with the peer-closed exception within 100 ms.
     */
    @Test
    void aKilledPeerFailsTheStreamWithinAHundredMilliseconds() throws Exception {
        VchanPort port = freshPort();
        try (SimulatedHost host = SimulatedHost.sharedWithThisJvm()) {
            PeerProcess server = host.libxenvchanDriver(SERVER.value(), List.of("server", "--peer", "1",
                    "--path", port.path(SERVER, CLIENT), "--expect", Long.toString(1L << 50), "--no-verify",
                    "--progress", "1000000"));
            server.awaitLine("listening", TIMEOUT);
            // Elements larger than any ring: whenever the peer dies, part of one is still ours to write,
            // so its death cannot look like a clean close of a channel we had finished writing to.
            ByteString chunk = ByteString.fromArrayUnsafe(new byte[8 << 20]);
            Pair<CompletionStage<VchanConnection>, CompletionStage<org.apache.pekko.Done>> p =
                    Source.repeat(chunk)
                            .viaMat(vchan.client(SERVER, port, clientSettings()), Keep.right())
                            .toMat(Sink.ignore(), Keep.both()).run(mat);
            server.awaitLine("progress", TIMEOUT); // the transfer is under way

            long killed = System.nanoTime();
            server.kill();
            Throwable failure = failureOf(p.second());
            long ms = (System.nanoTime() - killed) / 1_000_000;
            org.junit.jupiter.api.Assertions.assertInstanceOf(VchanPeerClosedException.class, failure,
                    String.valueOf(failure));
            System.out.println("stream failed " + ms + " ms after the peer was killed: " + failure.getMessage());
            org.junit.jupiter.api.Assertions.assertTrue(ms < 100, "failed after " + ms + " ms");
        }
    }

    private static String hex(MessageDigest d) {
        return HexFormat.of().formatHex(d.digest());
    }
}
