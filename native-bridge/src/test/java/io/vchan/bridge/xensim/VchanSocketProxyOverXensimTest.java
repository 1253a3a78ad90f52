package io.vchan.bridge.xensim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vchan.bridge.testing.DriverReport;
import io.vchan.bridge.testing.PeerProcess;
import io.vchan.bridge.testing.SimulatedHost;
import io.vchan.bridge.testing.TestEnvironment;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Xen's own {@code vchan-socket-proxy} (Debian's binary, unmodified) runs on
 * xensim in both modes, against Debian's libxenvchan in the other domain.
 */
class VchanSocketProxyOverXensimTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final int BYTES = 8 << 20;

    @Test
    void serverModeRelaysEachVchanClientToTheUnixSocket() throws Exception {
        String path = "/local/domain/0/data/vchan/1/proxy-server";
        try (SimulatedHost host = new SimulatedHost();
                ServerSocketChannel echo = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            Path socket = host.dir().resolve("echo.sock");
            echo.bind(UnixDomainSocketAddress.of(socket));
            CompletableFuture<Long> echoed = CompletableFuture.supplyAsync(() -> echoOnce(echo));

            PeerProcess proxy = host.start("vchan-socket-proxy-server", 0, List.of(
                    TestEnvironment.vchanSocketProxy().toString(), "-m", "server", "1", path, socket.toString()),
                    true, false, Map.of());
            // the proxy publishes a moment after it starts: the driver looks until it is there
            PeerProcess client = host.libxenvchanDriver(1, List.of("client", "--peer", "0", "--path", path,
                    "--send", Integer.toString(BYTES), "--expect", Integer.toString(BYTES), "--seed", "5"));

            DriverReport sent = DriverReport.sent(client, TIMEOUT);
            DriverReport received = DriverReport.received(client, TIMEOUT);
            assertEquals(BYTES, sent.bytes());
            assertEquals(sent, received, "the echo through the proxy differs");
            client.assertSucceeds(TIMEOUT);
            assertEquals(BYTES, echoed.get());
        }
    }

    @Test
    void clientModeConnectsStdinAndStdoutToTheVchanServer() throws Exception {
        String path = "/local/domain/0/data/vchan/1/proxy-client";
        try (SimulatedHost host = new SimulatedHost()) {
            PeerProcess server = host.libxenvchanDriver(0, List.of("server", "--peer", "1", "--path", path,
                    "--send", Integer.toString(BYTES), "--expect", Integer.toString(BYTES), "--seed", "3",
                    // the proxy stops at the vchan's close without draining the ring: close after it
                    "--wait-close"));
            server.awaitLine("listening", TIMEOUT);
            // client mode asks libxenctrl about the server domain: our stand-in answers
            PeerProcess proxy = host.start("vchan-socket-proxy-client", 1, List.of(
                    TestEnvironment.vchanSocketProxy().toString(), "0", path, "-"), false, true, Map.of());

            byte[] toServer = new byte[BYTES];
            new SplittableRandom(4).nextBytes(toServer);
            // the proxy ends the vchan at stdin's end of file (vchan has no half-close in libxenvchan),
            // so stdin stays open until everything the server sent has come out
            CompletableFuture<Void> writing = CompletableFuture.runAsync(() -> writeAll(proxy.stdin(), toServer));
            String fromServer = sha256(proxy.stdout(), BYTES);
            writing.get();
            proxy.stdin().close();

            DriverReport sent = DriverReport.sent(server, TIMEOUT);
            DriverReport received = DriverReport.received(server, TIMEOUT);
            assertEquals(sent.sha256(), fromServer, "what the proxy printed differs from what the server sent");
            assertEquals(new DriverReport(BYTES, sha256(toServer)), received);
            server.assertSucceeds(TIMEOUT);
            proxy.assertSucceeds(TIMEOUT);
        }
    }

    @Test
    void debiansRealLibxenctrlLoadsOverXensimWithEverySymbolBound() throws Exception {
        try (SimulatedHost host = new SimulatedHost()) {
            // LD_BIND_NOW: every symbol libxenctrl imports from xensim's libraries must resolve
            PeerProcess proxy = host.start("vchan-socket-proxy-usage", 0, List.of(
                    TestEnvironment.vchanSocketProxy().toString()), true, false, Map.of("LD_BIND_NOW", "1"));
            int status = proxy.awaitExit(TIMEOUT);
            assertNotEquals(0, status);
            assertTrue(proxy.stderrText().contains("usage:"), proxy.describe());
            assertFalse(proxy.stderrText().contains("symbol lookup error"), proxy.describe());
        }
    }

    private static long echoOnce(ServerSocketChannel listener) {
        try (SocketChannel peer = listener.accept()) {
            ByteBuffer buf = ByteBuffer.allocate(65536);
            long total = 0;
            while (total < BYTES) {
                buf.clear();
                int n = peer.read(buf);
                if (n < 0) {
                    break;
                }
                buf.flip();
                while (buf.hasRemaining()) {
                    peer.write(buf);
                }
                total += n;
            }
            return total;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static void writeAll(OutputStream out, byte[] data) {
        try {
            out.write(data);
            out.flush();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String sha256(InputStream in, int bytes) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        byte[] buf = new byte[65536];
        int total = 0;
        while (total < bytes) {
            int n = in.read(buf, 0, Math.min(buf.length, bytes - total));
            if (n < 0) {
                break;
            }
            sha.update(buf, 0, n);
            total += n;
        }
        assertEquals(bytes, total, "bytes the proxy printed");
        return HexFormat.of().formatHex(sha.digest());
    }

    private static String sha256(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }
}
