package io.vchan.samples.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vchan.bridge.testing.DriverReport;
import io.vchan.bridge.testing.PeerProcess;
import io.vchan.bridge.testing.SimulatedHost;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** {@code vchan cat} end to end: the packaged jar, real processes, one xensim host. */
class CatCommandIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @Test
    void catToCatCopiesBothWaysAndEndsCleanly() throws Exception {
        try (SimulatedHost host = new SimulatedHost()) {
            PeerProcess server = VchanJar.start(host, 0, false, "cat", "-l", "1", "cats");
            PeerProcess client = VchanJar.start(host, 1, false, "cat", "0", "cats");
            byte[] toClient = random(3 << 20, 1);
            byte[] toServer = random(2 << 20, 2);
            // each side writes all it has, then ends stdin: the E1 shutdown lets the other side finish
            CompletableFuture<byte[]> atClient = CompletableFuture.supplyAsync(() -> readAll(client.stdout()));
            CompletableFuture<byte[]> atServer = CompletableFuture.supplyAsync(() -> readAll(server.stdout()));
            CompletableFuture.allOf(
                    CompletableFuture.runAsync(() -> writeAndClose(server.stdin(), toClient)),
                    CompletableFuture.runAsync(() -> writeAndClose(client.stdin(), toServer))).get();
            assertArrayEquals(toClient, atClient.get());
            assertArrayEquals(toServer, atServer.get());
            server.assertSucceeds(TIMEOUT);
            client.assertSucceeds(TIMEOUT);
        }
    }

    @Test
    void catServesDebiansLibxenvchanClient() throws Exception {
        try (SimulatedHost host = new SimulatedHost()) {
            PeerProcess cat = VchanJar.start(host, 0, false, "cat", "-l", "1", "lx");
            byte[] toPeer = random(1 << 20, 3);
            PeerProcess peer = host.libxenvchanDriver(1, List.of("client", "--peer", "0",
                    "--path", "/local/domain/0/data/vchan/1/lx", "--expect", Integer.toString(toPeer.length),
                    "--send", Integer.toString(4 << 20)));
            CompletableFuture<byte[]> fromPeer = CompletableFuture.supplyAsync(() -> readAll(cat.stdout()));
            writeAndClose(cat.stdin(), toPeer);
            assertEquals(new DriverReport(toPeer.length, sha256(toPeer)), DriverReport.received(peer, TIMEOUT));
            assertEquals(DriverReport.sent(peer, TIMEOUT).sha256(), sha256(fromPeer.get()));
            peer.assertSucceeds(TIMEOUT);
            cat.assertSucceeds(TIMEOUT);
        }
    }

    @Test
    void catConnectsToDebiansLibxenvchanServer() throws Exception {
        try (SimulatedHost host = new SimulatedHost()) {
            byte[] toPeer = random(1 << 20, 4);
            PeerProcess peer = host.libxenvchanDriver(0, List.of("server", "--peer", "1",
                    "--path", "/local/domain/0/data/vchan/1/lx", "--expect", Integer.toString(toPeer.length),
                    "--send", Integer.toString(4 << 20)));
            PeerProcess cat = VchanJar.start(host, 1, false, "cat", "0", "lx");
            CompletableFuture<byte[]> fromPeer = CompletableFuture.supplyAsync(() -> readAll(cat.stdout()));
            writeAndClose(cat.stdin(), toPeer);
            // the server closes once its transfer is done, possibly before cat has read it all:
            // cat still prints everything that was written before the close, then exits 0
            assertEquals(new DriverReport(toPeer.length, sha256(toPeer)), DriverReport.received(peer, TIMEOUT));
            DriverReport sent = DriverReport.sent(peer, TIMEOUT);
            peer.assertSucceeds(TIMEOUT);
            assertEquals(sent.sha256(), sha256(fromPeer.get()));
            cat.assertSucceeds(TIMEOUT);
        }
    }

    @Test
    void anAbsentServerIsReportedWithItsOwnExitCode() throws Exception {
        try (SimulatedHost host = new SimulatedHost()) {
            PeerProcess cat = VchanJar.start(host, 1, true, "cat", "--connect-timeout", "0.5", "0", "nobody");
            cat.stdin().close();
            assertEquals(ExitCodes.PEER_ABSENT, cat.awaitExit(TIMEOUT), cat.describe());
            String err = cat.stderrText();
            assertTrue(err.startsWith("vchan cat: ") && err.contains("/local/domain/0/data/vchan/1/nobody"), err);
            assertEquals(1, err.strip().lines().count(), "one line: " + err);
        }
    }

    @Test
    void badArgumentsAreUsageErrors() throws Exception {
        try (SimulatedHost host = new SimulatedHost()) {
            PeerProcess badPort = VchanJar.start(host, 1, true, "cat", "0", "no/slashes");
            assertEquals(ExitCodes.USAGE, badPort.awaitExit(TIMEOUT), badPort.describe());
            assertTrue(badPort.stderrText().contains("[a-zA-Z0-9_-]"), badPort.describe());
            PeerProcess badDomain = VchanJar.start(host, 1, true, "cat", "40000", "p");
            assertEquals(ExitCodes.USAGE, badDomain.awaitExit(TIMEOUT), badDomain.describe());
            assertTrue(badDomain.stderrText().contains("outside 0..32751"), badDomain.describe());
            PeerProcess missing = VchanJar.start(host, 1, true, "cat", "0");
            assertEquals(ExitCodes.USAGE, missing.awaitExit(TIMEOUT), missing.describe());
        }
    }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new SplittableRandom(seed).nextBytes(b);
        return b;
    }

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] readAll(InputStream in) {
        try (in) {
            return in.readAllBytes();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static void writeAndClose(OutputStream out, byte[] data) {
        try (out) {
            out.write(data);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
