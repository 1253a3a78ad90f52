package io.vchan.bridge.hostile;

import io.vchan.bridge.BlockingVchan;
import io.vchan.bridge.events.EventLoop;
import io.vchan.bridge.jna.JnaPlatform;
import io.vchan.bridge.ring.VchanConnectTimeoutException;
import io.vchan.bridge.ring.VchanProtocolException;
import io.vchan.bridge.xen.DomainId;
import io.vchan.bridge.xen.XenStore;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Our side of vchan-hostile's rounds where the hostile peer runs in another
 * domain (the real-Xen suite: it in a guest, this in dom0), beside a healthy
 * channel that echoes another peer's bytes. Plays each round as the xensim
 * tests do (traffic both ways until the channel ends acceptably: end of
 * stream, our protocol error, or a close), until the hostile peer writes its
 * report at the done key.
 *
 * <pre>
 *   HostileRounds server|client --peer DOMID --path-prefix P --done-key KEY --seed S
 *       [--healthy-peer DOMID --healthy-path PATH]
 * </pre>
 *
 * Prints "healthy echoing" once that channel is published, then "rounds=R
 * caught=C" and the hostile peer's report, and "healthy echoed=N"; exit 0,
 * or 1 with the reason if a round ended any other way or hung.
 */
public final class HostileRounds {

    private static final Duration OP_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration ROUND_TIMEOUT = Duration.ofSeconds(120);
    /** (read, write) ring sizes per round as a server: in-page orders 10/11 and granted 12/13. */
    private static final int[][] SIZES = {{1024, 2048}, {2048, 1024}, {4096, 4096}, {8192, 2048}, {2048, 8192}};

    private final EventLoop loop;
    private final DomainId self;
    private final DomainId peer;
    private final String prefix;
    private final String doneKey;
    private final long seed;
    private final XenStore store;
    private final ExecutorService executor = Executors.newCachedThreadPool();

    private HostileRounds(EventLoop loop, DomainId peer, String prefix, String doneKey, long seed)
            throws Exception {
        this.loop = loop;
        this.self = loop.platform().selfDomain();
        this.peer = peer;
        this.prefix = prefix;
        this.doneKey = doneKey;
        this.seed = seed;
        this.store = loop.platform().openXenStore(self);
    }

    public static void main(String[] args) throws Exception {
        boolean server = args.length > 0 && args[0].equals("server");
        int peer = -1;
        int healthyPeer = -1;
        String prefix = null;
        String doneKey = null;
        String healthyPath = null;
        long seed = 1;
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case "--peer" -> peer = Integer.parseInt(args[++i]);
                case "--path-prefix" -> prefix = args[++i];
                case "--done-key" -> doneKey = args[++i];
                case "--seed" -> seed = Long.parseLong(args[++i]);
                case "--healthy-peer" -> healthyPeer = Integer.parseInt(args[++i]);
                case "--healthy-path" -> healthyPath = args[++i];
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        JnaPlatform platform = "xen".equals(System.getProperty("vchan.driver.platform"))
                ? JnaPlatform.xen() : JnaPlatform.xensim();
        try (EventLoop loop = EventLoop.start(platform, 1)) {
            HealthyEcho healthy = healthyPath == null ? null
                    : new HealthyEcho(BlockingVchan.serve(loop, platform.selfDomain(), DomainId.of(healthyPeer),
                            healthyPath, 4096, 4096));
            try {
                HostileRounds rounds = new HostileRounds(loop, DomainId.of(peer), prefix, doneKey, seed);
                String report = server ? rounds.serveRounds() : rounds.connectRounds();
                System.out.println(report);
                if (healthy != null) {
                    System.out.println("healthy echoed=" + healthy.finish());
                }
            } catch (AssertionError e) {
                System.out.println("failed: " + e.getMessage());
                e.printStackTrace(System.out);
                System.exit(1);
            }
        }
        System.exit(0); // the executor's threads are not daemons
    }

    /** We serve each round; the hostile client connects and attacks. */
    private String serveRounds() throws Exception {
        int caught = 0;
        for (long r = 0; ; r++) {
            int[] size = SIZES[(int) (r % SIZES.length)];
            try (BlockingVchan server = BlockingVchan.serve(loop, self, peer, prefix + r, size[0], size[1])) {
                Optional<String> done = awaitClientOrDone(server, r);
                if (done.isPresent()) {
                    return "rounds=" + r + " caught=" + caught + " " + done.get();
                }
                if (new VictimTraffic(server, executor, seed + r, OP_TIMEOUT).awaitAcceptableEnd(ROUND_TIMEOUT,
                        "round " + r + " (seed " + seed + ")")) {
                    caught++;
                }
            }
        }
    }

    /** The hostile server publishes each round; we connect and run traffic. */
    private String connectRounds() throws Exception {
        int caught = 0;
        for (long r = 0; ; r++) {
            Connect c = connect(r);
            if (c.done() != null) {
                return "rounds=" + r + " caught=" + caught + " " + c.done();
            }
            if (c.client() == null) {
                caught++; // refused what it announced: the round is over for both
                continue;
            }
            try (BlockingVchan client = c.client()) {
                if (new VictimTraffic(client, executor, seed + r, OP_TIMEOUT).awaitAcceptableEnd(ROUND_TIMEOUT,
                        "round " + r + " (seed " + seed + ")")) {
                    caught++;
                }
            }
        }
    }

    /** A round's connection, or the hostile peer's report; neither: we refused what the server announced. */
    private record Connect(BlockingVchan client, String done) {
    }

    private Connect connect(long round) throws Exception {
        long deadline = System.nanoTime() + ROUND_TIMEOUT.toNanos();
        while (true) {
            Optional<String> done = done();
            if (done.isPresent()) {
                return new Connect(null, done.get());
            }
            try {
                return new Connect(BlockingVchan.connect(loop, self, peer, prefix + round, Duration.ofMillis(500)),
                        null);
            } catch (VchanConnectTimeoutException e) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("the hostile server never published " + prefix + round);
                }
            } catch (VchanProtocolException e) {
                return new Connect(null, null);
            }
        }
    }

    private Optional<String> awaitClientOrDone(BlockingVchan server, long round) throws Exception {
        long deadline = System.nanoTime() + ROUND_TIMEOUT.toNanos();
        while (!server.awaitPeer(Duration.ofMillis(500))) {
            Optional<String> done = done();
            if (done.isPresent()) {
                return done;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the hostile client never came to " + prefix + round);
            }
        }
        return Optional.empty();
    }

    /** The hostile peer's report, once it has written it. */
    private Optional<String> done() throws Exception {
        return store.read(0, doneKey).map(b -> new String(b, StandardCharsets.UTF_8));
    }

    /** Echoes every byte its peer sends until the peer closes; counts them. */
    private static final class HealthyEcho {
        private final BlockingVchan vchan;
        private final AtomicLong echoed = new AtomicLong();
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private final Thread thread;

        HealthyEcho(BlockingVchan vchan) {
            this.vchan = vchan;
            System.out.println("healthy echoing");
            System.out.flush();
            this.thread = new Thread(this::echo, "healthy-echo");
            thread.start();
        }

        private void echo() {
            ByteBuffer buf = ByteBuffer.allocate(65536);
            try {
                if (!vchan.awaitPeer(ROUND_TIMEOUT)) {
                    throw new AssertionError("the healthy peer never came");
                }
                while (true) {
                    buf.clear();
                    if (vchan.read(buf, ROUND_TIMEOUT) < 0) {
                        return;
                    }
                    buf.flip();
                    echoed.addAndGet(buf.remaining());
                    vchan.writeFully(buf, ROUND_TIMEOUT);
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        }

        long finish() throws InterruptedException {
            thread.join(ROUND_TIMEOUT.toMillis());
            vchan.close();
            if (failure.get() != null) {
                throw new AssertionError("the healthy channel failed: " + failure.get(), failure.get());
            }
            return echoed.get();
        }
    }
}
