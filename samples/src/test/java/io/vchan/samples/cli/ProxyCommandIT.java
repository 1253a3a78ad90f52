package io.vchan.samples.cli;

import static io.vchan.samples.cli.CatCommandIT.random;
import static io.vchan.samples.cli.CatCommandIT.readAll;
import static io.vchan.samples.cli.CatCommandIT.sha256;
import static io.vchan.samples.cli.CatCommandIT.writeAndClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vchan.bridge.testing.PeerProcess;
import io.vchan.bridge.testing.SimulatedHost;
import io.vchan.bridge.testing.TestEnvironment;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code vchan proxy} end to end: the packaged jar and Debian's unmodified
 * {@code vchan-socket-proxy} as real processes on one xensim host, carrying
 * conversations between two UNIX-socket programs in this JVM:
 *
 * <pre>
 * client ── front.sock ── proxy (client mode, dom1) ══ vchan ══ proxy (server mode, dom0) ── app.sock ── app
 * </pre>
 */
class ProxyCommandIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final int REQUEST = 3 << 20;
    private static final int REPLY = 2 << 20;

    @Test
    void ourServerModeServesDebiansClientModeOneClientAfterAnother() throws Exception {
        String node = "/local/domain/0/data/vchan/1/px";
        try (SimulatedHost host = new SimulatedHost();
                ServerSocketChannel app = listen(host.dir().resolve("app.sock"))) {
            Path front = host.dir().resolve("front.sock");
            PeerProcess ours = VchanJar.start(host, 0, true, "proxy", "-m", "server", "1", node,
                    host.dir().resolve("app.sock").toString());
            // client mode asks libxenctrl about the server domain: our stand-in answers
            host.start("vchan-socket-proxy-client", 1, List.of(TestEnvironment.vchanSocketProxy().toString(),
                    "0", node, front.toString()), true, true, Map.of());
            // two clients in turn: ours serves the second once the first has gone
            for (int round = 1; round <= 2; round++) {
                converse(app, front, round, ours);
            }
        }
    }

    @Test
    void debiansServerModeServesOurClientModeOneClientAfterAnother() throws Exception {
        String node = "/local/domain/0/data/vchan/1/py";
        String state = "/local/domain/1/data/vchan-proxy-state";
        try (SimulatedHost host = new SimulatedHost();
                ServerSocketChannel app = listen(host.dir().resolve("app.sock"))) {
            Path front = host.dir().resolve("front.sock");
            host.start("vchan-socket-proxy-server", 0, List.of(TestEnvironment.vchanSocketProxy().toString(),
                    "-m", "server", "1", node, host.dir().resolve("app.sock").toString()), true, false, Map.of());
            PeerProcess ours = VchanJar.start(host, 1, true, "proxy", "-v", "-s", state, "0", node,
                    front.toString());
            // -s: "running" in XenStore once the socket listens, as vchan-socket-proxy does
            PeerProcess watcher = host.javaProcess("xenstore-wait", 1, XenStoreWait.class.getName(),
                    List.of("1", state, Long.toString(TIMEOUT.toMillis())));
            assertEquals("value: running", watcher.awaitLine("value:", TIMEOUT));
            for (int round = 1; round <= 2; round++) {
                converse(app, front, round, ours);
            }
            assertTrue(ours.stderrText().contains("vchan proxy: listening on " + front), ours.describe());
        }
    }

    @Test
    void progressShowsTheBytesEachWayAndEndsWithTheTotals() throws Exception {
        try (SimulatedHost host = new SimulatedHost()) {
            // server mode over stdio serves one client, here `vchan cat`, at cat's conventional path
            PeerProcess proxy = VchanJar.start(host, 0, false, "proxy", "-m", "server", "--progress", "1",
                    "/local/domain/0/data/vchan/1/pp", "-");
            PeerProcess cat = VchanJar.start(host, 1, true, "cat", "--progress", "0", "pp");
            byte[] data = random(1 << 20, 7);
            CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> readAll(proxy.stdout()));
            // cat's end of input shuts down its writing (E1): the proxy takes it as the end and closes
            writeAndClose(cat.stdin(), data);
            assertArrayEquals(data, out.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
            proxy.assertSucceeds(TIMEOUT);
            cat.assertSucceeds(TIMEOUT);
            assertTrue(lastLine(cat).matches("to vchan 1048576 B \\(.*\\), from vchan 0 B \\(.*\\), .* s"),
                    cat.describe());
            assertTrue(lastLine(proxy).startsWith("to vchan 0 B ") && lastLine(proxy).contains(
                    ", from vchan 1048576 B ("), proxy.stderrText());
            proxy.stdin().close();
        }
    }

    @Test
    void badModeAndBadPathsAreUsageErrorsOnOneLine() throws Exception {
        try (SimulatedHost host = new SimulatedHost()) {
            expectFailure(host, ExitCodes.USAGE, "invalid mode 'sideways': client or server",
                    "proxy", "-m", "sideways", "0", "/local/domain/0/data/vchan/1/p", "-");
            expectFailure(host, ExitCodes.USAGE, "invalid XenStore path 'data//p'",
                    "proxy", "0", "data//p", "-");
            expectFailure(host, ExitCodes.USAGE, "at most 49",
                    "proxy", "0", "/local/domain/0/data/vchan/1/" + "p".repeat(30), "-");
            expectFailure(host, ExitCodes.USAGE, "'5' is a file descriptor",
                    "proxy", "0", "/local/domain/0/data/vchan/1/p", "5");
            expectFailure(host, ExitCodes.FAILED, "cannot listen on UNIX socket",
                    "proxy", "0", "/local/domain/0/data/vchan/1/p", host.dir().resolve("no/such.sock").toString());
        }
    }

    private static void expectFailure(SimulatedHost host, int code, String message, String... args)
            throws InterruptedException {
        PeerProcess p = VchanJar.start(host, 1, true, args);
        assertEquals(code, p.awaitExit(TIMEOUT), p.describe());
        String err = p.stderrText();
        assertTrue(err.startsWith("vchan proxy: ") && err.contains(message), err);
        assertEquals(1, err.strip().lines().count(), "one line: " + err);
    }

    private static String lastLine(PeerProcess p) {
        // the live line rewrites itself with carriage returns: each rewrite reads as a line
        List<String> lines = p.stderrText().lines().filter(l -> !l.isBlank()).toList();
        return lines.isEmpty() ? "" : lines.get(lines.size() - 1).strip();
    }

    private static ServerSocketChannel listen(Path path) throws IOException {
        ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        s.bind(UnixDomainSocketAddress.of(path));
        return s;
    }

    /**
     * One conversation through both proxies. The client sends REQUEST bytes
     * while the app sends REPLY bytes; then the app sends the SHA-256 of what
     * it received, so the client closes only once everything arrived (a vchan
     * close drops what is still in the ring). The app must then see the close.
     */
    private static void converse(ServerSocketChannel app, Path front, int round, PeerProcess proxy)
            throws Exception {
        byte[] request = random(REQUEST, round);
        byte[] reply = random(REPLY, 100 + round);
        CompletableFuture<Long> appSide = CompletableFuture.supplyAsync(() -> serveOnce(app, reply));
        try (SocketChannel client = UnixSockets.connectWhenListening(front, System.nanoTime() + TIMEOUT.toNanos())) {
            CompletableFuture<Void> sending = CompletableFuture.runAsync(() -> UnixSockets.writeFully(client, request));
            byte[] received = UnixSockets.readExactly(client, REPLY + 32);
            sending.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            assertEquals(sha256(reply), sha256(Arrays.copyOf(received, REPLY)),
                    "round " + round + ": the reply differs; " + proxy.describe());
            assertArrayEquals(digest(request), Arrays.copyOfRange(received, REPLY, REPLY + 32),
                    "round " + round + ": the app received something else");
        }
        assertEquals(0L, appSide.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS),
                "round " + round + ": bytes after the request");
    }

    /** The app: one connection; returns how many bytes came after the request, once the close got through. */
    private static long serveOnce(ServerSocketChannel app, byte[] reply) {
        try (SocketChannel peer = app.accept()) {
            CompletableFuture<Void> replying = CompletableFuture.runAsync(() -> UnixSockets.writeFully(peer, reply));
            byte[] request = UnixSockets.readExactly(peer, REQUEST);
            replying.join();
            UnixSockets.writeFully(peer, digest(request));
            long extra = 0;
            ByteBuffer buf = ByteBuffer.allocate(4096);
            for (int n; (n = peer.read(buf.clear())) >= 0; ) {
                extra += n;
            }
            return extra;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The proxy listens a moment after it starts: retry until it does, within the timeout. */
    private static byte[] digest(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
