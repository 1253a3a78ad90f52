package io.vchan.samples.xenvm;

import io.vchan.samples.cli.UnixSockets;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The UNIX-socket program at dom0's end of Xen's {@code vchan-socket-proxy}:
 * one exchange per argument, all at once, each on its own connection. An
 * exchange sends a file while it reads the bytes expected and then the
 * 64 hex digits of the SHA-256 the other end computed of what it received;
 * it answers with the digest of what it received itself, and closes. Nobody
 * closes before both directions are through, as a vchan close drops what is
 * still in the ring. It prints, in argument order, what each exchange sent
 * and received as {@code xenvm.sh}'s {@code digest} does, and the other end's
 * digest, for a scenario to compare with the guest's.
 *
 * <p>Usage: {@code SocketExchange SEND_FILE EXPECT_BYTES TIMEOUT_MS LABEL=connect:PATH|LABEL=serve:PATH...}.
 * {@code connect} retries until something listens at PATH; {@code serve}
 * listens there, takes one connection and stops listening (Xen's server-mode
 * proxy connects again after each conversation, and gives up, closing the
 * vchan, when nothing listens). Past the timeout it says which exchanges
 * were still under way and exits 2.
 */
public final class SocketExchange {

    /** The other end's SHA-256 of what it received, in hex, after its data. */
    private static final int ACK_BYTES = 64;

    private SocketExchange() {
    }

    public static void main(String[] args) throws Exception {
        byte[] send = Files.readAllBytes(Path.of(args[0]));
        int expect = Integer.parseInt(args[1]);
        long timeoutMillis = Long.parseLong(args[2]);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        Map<String, CompletableFuture<String>> exchanges = new LinkedHashMap<>();
        for (int i = 3; i < args.length; i++) {
            String label = label(args[i]);
            Path path = path(args[i]);
            // a serving socket listens before any exchange starts: its proxy may connect at once
            ServerSocketChannel server = how(args[i]).equals("serve") ? listen(path) : null;
            exchanges.put(label, CompletableFuture.supplyAsync(() -> {
                try {
                    SocketChannel connection;
                    if (server != null) {
                        try (server) {
                            connection = server.accept();
                        }
                    } else {
                        connection = UnixSockets.connectWhenListening(path, deadline);
                    }
                    return exchange(label, connection, send, expect, deadline);
                } catch (Exception e) {
                    throw new CompletionException(e);
                }
            }, runnable -> new Thread(runnable, label).start()));
        }
        int status = 0;
        for (Map.Entry<String, CompletableFuture<String>> e : exchanges.entrySet()) {
            try {
                System.out.print(e.getValue().get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
            } catch (TimeoutException timedOut) {
                System.out.println(e.getKey() + " timed out after " + timeoutMillis + " ms");
                status = 2;
            } catch (ExecutionException failed) {
                System.out.println(e.getKey() + " failed: " + failed.getCause());
                status = Math.max(status, 1);
            }
        }
        System.out.flush();
        System.exit(status); // threads still blocked in a timed-out exchange must not keep the JVM
    }

    private static String label(String arg) {
        return arg.substring(0, arg.indexOf('='));
    }

    private static String how(String arg) {
        return arg.substring(arg.indexOf('=') + 1, arg.indexOf(':'));
    }

    private static Path path(String arg) {
        return Path.of(arg.substring(arg.indexOf(':') + 1));
    }

    /** Sends while it reads what is expected and the other end's digest; answers with its own; closes. */
    private static String exchange(String label, SocketChannel connection, byte[] send, int expect, long deadline)
            throws Exception {
        try (SocketChannel peer = connection) {
            // its own thread: the common pool may have one, and the exchanges run at once
            CompletableFuture<Void> sending = CompletableFuture.runAsync(() -> UnixSockets.writeFully(peer, send),
                    runnable -> new Thread(runnable, label + "-send").start());
            byte[] received = UnixSockets.readExactly(peer, expect + ACK_BYTES);
            sending.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            byte[] data = Arrays.copyOf(received, expect);
            UnixSockets.writeFully(peer, sha256Hex(data).getBytes(StandardCharsets.US_ASCII));
            return label + " sent " + digest(send) + "\n" + label + " received " + digest(data) + "\n" + label
                    + " they received sha256=" + new String(received, expect, ACK_BYTES, StandardCharsets.US_ASCII)
                    + "\n";
        }
    }

    private static ServerSocketChannel listen(Path path) throws IOException {
        Files.deleteIfExists(path);
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(path));
        return server;
    }

    /** The proxy listens a moment after it starts: retry until it does, within the deadline. */
    private static String digest(byte[] data) throws NoSuchAlgorithmException {
        return data.length + " sha256=" + sha256Hex(data);
    }

    private static String sha256Hex(byte[] data) throws NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }
}
