package io.vchan.samples.xenvm;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The UNIX-socket program at dom0's end of Xen's {@code vchan-socket-proxy}:
 * one exchange per argument, in order, each on its own connection. An
 * exchange sends a file while it reads the bytes expected and then the
 * 64 hex digits of the SHA-256 the other end computed of what it received;
 * it answers with the digest of what it received itself, and closes. Nobody
 * closes before both directions are through, as a vchan close drops what is
 * still in the ring. It prints what it sent and received as {@code xenvm.sh}'s
 * {@code digest} does, and the other end's digest, for a scenario to compare
 * with the guest's.
 *
 * <p>Usage: {@code SocketExchange SEND_FILE EXPECT_BYTES TIMEOUT_MS LABEL=connect:PATH|LABEL=serve:PATH...}.
 * {@code connect} retries until something listens at PATH; {@code serve}
 * listens there from the start, takes one connection in its turn and stops
 * listening (Xen's server-mode proxy connects again after each conversation,
 * and gives up, closing the vchan, when nothing listens).
 */
public final class SocketExchange {

    /** The other end's SHA-256 of what it received, in hex, after its data. */
    private static final int ACK_BYTES = 64;

    /** The exchange under way, for the watchdog. */
    private static volatile String current = "start";

    private SocketExchange() {
    }

    public static void main(String[] args) throws Exception {
        byte[] send = Files.readAllBytes(Path.of(args[0]));
        int expect = Integer.parseInt(args[1]);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Long.parseLong(args[2]));
        watchdog(deadline);
        // every serving socket listens from the start: a proxy may connect before its turn
        Map<Integer, ServerSocketChannel> listening = new HashMap<>();
        try {
            for (int i = 3; i < args.length; i++) {
                if (how(args[i]).equals("serve")) {
                    listening.put(i, listen(path(args[i])));
                }
            }
            for (int i = 3; i < args.length; i++) {
                String label = label(args[i]);
                current = label;
                SocketChannel connection;
                if (listening.containsKey(i)) {
                    try (ServerSocketChannel server = listening.remove(i)) {
                        connection = server.accept();
                    }
                } else {
                    connection = connect(path(args[i]), deadline);
                }
                exchange(label, connection, send, expect, deadline);
            }
        } finally {
            for (ServerSocketChannel s : listening.values()) {
                s.close();
            }
        }
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
    private static void exchange(String label, SocketChannel connection, byte[] send, int expect, long deadline)
            throws Exception {
        try (SocketChannel peer = connection) {
            CompletableFuture<Void> sending = CompletableFuture.runAsync(() -> writeFully(peer, send));
            byte[] received = readExactly(peer, expect + ACK_BYTES);
            sending.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            byte[] data = Arrays.copyOf(received, expect);
            writeFully(peer, sha256Hex(data).getBytes(StandardCharsets.US_ASCII));
            System.out.println(label + " sent " + digest(send));
            System.out.println(label + " received " + digest(data));
            System.out.println(label + " they received sha256="
                    + new String(received, expect, ACK_BYTES, StandardCharsets.US_ASCII));
        }
    }

    /** A blocking read has no timeout of its own: past the deadline, say where it stuck and exit. */
    private static void watchdog(long deadline) {
        Thread t = new Thread(() -> {
            try {
                TimeUnit.NANOSECONDS.sleep(Math.max(1, deadline - System.nanoTime()));
                System.out.println(current + " timed out");
                System.exit(2);
            } catch (InterruptedException ignored) {
                // not used
            }
        }, "watchdog");
        t.setDaemon(true);
        t.start();
    }

    private static ServerSocketChannel listen(Path path) throws IOException {
        Files.deleteIfExists(path);
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(path));
        return server;
    }

    /** The proxy listens a moment after it starts: retry until it does, within the deadline. */
    private static SocketChannel connect(Path path, long deadline) throws IOException, InterruptedException {
        while (true) {
            try {
                return SocketChannel.open(UnixDomainSocketAddress.of(path));
            } catch (IOException notYet) {
                if (System.nanoTime() > deadline) {
                    throw notYet;
                }
                Thread.sleep(50); // polling a condition with a deadline
            }
        }
    }

    private static void writeFully(SocketChannel peer, byte[] data) {
        try {
            ByteBuffer buf = ByteBuffer.wrap(data);
            while (buf.hasRemaining()) {
                peer.write(buf);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] readExactly(SocketChannel peer, int n) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(n);
        while (buf.hasRemaining()) {
            if (peer.read(buf) < 0) {
                throw new IOException("end of stream after " + buf.position() + " of " + n + " bytes");
            }
        }
        return buf.array();
    }

    private static String digest(byte[] data) throws NoSuchAlgorithmException {
        return data.length + " sha256=" + sha256Hex(data);
    }

    private static String sha256Hex(byte[] data) throws NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }
}
