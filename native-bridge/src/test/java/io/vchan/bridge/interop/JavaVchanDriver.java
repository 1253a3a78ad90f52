package io.vchan.bridge.interop;

import io.vchan.bridge.BlockingVchan;
import io.vchan.bridge.events.EventLoop;
import io.vchan.bridge.jna.JnaPlatform;
import io.vchan.bridge.ring.RingOrders;
import io.vchan.bridge.ring.VchanServer;
import io.vchan.bridge.xen.DomainId;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Our side of the cross-process interop tests: a separate JVM that serves or
 * connects over xensim, sends seeded random data while receiving, and prints
 * what it saw as lines the tests parse:
 * {@code listening} (server), {@code orders left=L right=R}, {@code ready}, {@code sent N sha256=H},
 * {@code received N sha256=H}, {@code write-shutdown}, {@code elapsed_ms=T}, {@code peer-closed}.
 * A server with {@code --clients N} serves N clients in turn, one session each.
 *
 * <pre>
 * server|client --peer DOMID --path XSPATH [--read-size N] [--write-size N]
 *               [--send BYTES] [--expect BYTES] [--seed S] [--chunk N] [--wait-close]
 *               [--shutdown-write] [--clients N] [--no-verify]
 * </pre>
 */
public final class JavaVchanDriver {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    /** --no-verify: send one buffer over and over and hash nothing (for throughput figures). */
    private static boolean verify = true;

    public static void main(String[] args) throws Exception {
        boolean server = args[0].equals("server");
        int peer = -1;
        int readSize = 65536;
        int writeSize = 65536;
        int chunk = 65536;
        long send = 0;
        long expect = 0;
        long seed = 1;
        boolean waitClose = false;
        boolean shutdownWrite = false;
        int clients = 1;
        String path = null;
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case "--peer" -> peer = Integer.parseInt(args[++i]);
                case "--path" -> path = args[++i];
                case "--read-size" -> readSize = Integer.parseInt(args[++i]);
                case "--write-size" -> writeSize = Integer.parseInt(args[++i]);
                case "--send" -> send = Long.parseLong(args[++i]);
                case "--expect" -> expect = Long.parseLong(args[++i]);
                case "--seed" -> seed = Long.parseLong(args[++i]);
                case "--chunk" -> chunk = Integer.parseInt(args[++i]);
                case "--wait-close" -> waitClose = true;
                case "--shutdown-write" -> shutdownWrite = true;
                case "--clients" -> clients = Integer.parseInt(args[++i]);
                case "--no-verify" -> verify = false;
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        // xensim unless told (-Dvchan.driver.platform=xen): the real-Xen suite runs it in dom0
        JnaPlatform platform = "xen".equals(System.getProperty("vchan.driver.platform"))
                ? JnaPlatform.xen() : JnaPlatform.xensim();
        DomainId self = platform.selfDomain();
        try (EventLoop loop = EventLoop.start(platform, 1);
                BlockingVchan vchan = server
                        ? BlockingVchan.serve(loop, self, DomainId.of(peer), path, readSize, writeSize)
                        : BlockingVchan.connect(loop, self, DomainId.of(peer), path, TIMEOUT)) {
            if (server) {
                System.out.println("listening");
                System.out.flush();
            }
            for (int session = 1; session <= clients; session++) {
                if (server && !vchan.awaitPeer(TIMEOUT)) {
                    throw new IllegalStateException("no client within " + TIMEOUT);
                }
                transfer(vchan, send, expect, chunk, seed + session - 1, shutdownWrite);
                if (waitClose || session < clients) {
                    vchan.awaitPeerClosed(TIMEOUT);
                    System.out.println("peer-closed");
                    System.out.flush();
                }
                if (session < clients) {
                    // the client is gone: reset the page and publish it for the next one
                    VchanServer.republish(platform, vchan.endpoint());
                }
            }
        }
    }

    /** One session: sends while receiving, then reports. */
    private static void transfer(BlockingVchan vchan, long send, long expect, int chunk, long seed,
            boolean shutdownWrite) throws Exception {
        RingOrders orders = vchan.endpoint().orders();
        System.out.println("orders left=" + orders.left() + " right=" + orders.right());
        System.out.println("ready");
        System.out.flush();
        long start = System.nanoTime();
        AtomicReference<Throwable> writerFailure = new AtomicReference<>();
        Thread writer = new Thread(() -> {
            try {
                sendRandom(vchan, send, chunk, seed);
                if (shutdownWrite) {
                    vchan.shutdownWrite();
                    System.out.println("write-shutdown");
                }
            } catch (Throwable t) {
                writerFailure.set(t);
            }
        }, "driver-writer");
        writer.start();
        receive(vchan, expect, chunk);
        writer.join();
        if (writerFailure.get() != null) {
            throw new IllegalStateException("writing failed", writerFailure.get());
        }
        System.out.println("elapsed_ms=" + (System.nanoTime() - start) / 1_000_000);
        System.out.flush();
    }

    private static void sendRandom(BlockingVchan vchan, long total, int chunk, long seed) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        SplittableRandom random = new SplittableRandom(seed);
        byte[] bytes = new byte[chunk];
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        long sent = 0;
        while (sent < total) {
            int n = (int) Math.min(chunk, total - sent);
            if (verify) {
                for (int i = 0; i < n; i += 8) {
                    long r = random.nextLong();
                    for (int k = 0; k < 8 && i + k < n; k++) {
                        bytes[i + k] = (byte) (r >>> (8 * k));
                    }
                }
                sha.update(bytes, 0, n);
            }
            buf.clear().limit(n);
            vchan.writeFully(buf, TIMEOUT);
            sent += n;
        }
        System.out.println("sent " + sent + " sha256=" + HexFormat.of().formatHex(sha.digest()));
    }

    private static void receive(BlockingVchan vchan, long expect, int chunk) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        ByteBuffer buf = ByteBuffer.allocate(chunk);
        long got = 0;
        while (got < expect) {
            buf.clear();
            int n = vchan.read(buf, TIMEOUT);
            if (n < 0) {
                break;
            }
            if (verify) {
                sha.update(buf.array(), 0, n);
            }
            got += n;
        }
        System.out.println("received " + got + " sha256=" + HexFormat.of().formatHex(sha.digest()));
    }
}
