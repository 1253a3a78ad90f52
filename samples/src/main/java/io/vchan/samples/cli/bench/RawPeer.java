package io.vchan.samples.cli.bench;

import io.vchan.bridge.BlockingVchan;
import io.vchan.bridge.events.EventLoop;
import io.vchan.bridge.jna.JnaPlatform;
import io.vchan.bridge.xen.DomainId;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

/**
 * (b) native-bridge without Pekko: a {@link BlockingVchan} over xensim, one
 * event-loop thread, a writer thread while the main thread reads (as the
 * interop tests' Java driver does).
 */
final class RawPeer {

    private RawPeer() {
    }

    static void run(BenchPeerCommand o) throws Exception {
        JnaPlatform platform = JnaPlatform.xensim();
        DomainId self = platform.selfDomain();
        int server = o.server() ? self.value() : o.peer;
        int client = o.server() ? o.peer : self.value();
        String path = "/local/domain/" + server + "/data/vchan/" + client + "/bench";
        Duration timeout = o.timeout();
        try (EventLoop loop = EventLoop.start(platform, 1);
                BlockingVchan vchan = o.server()
                        ? BlockingVchan.serve(loop, self, DomainId.of(o.peer), path, o.ringSize, o.ringSize)
                        : BlockingVchan.connect(loop, self, DomainId.of(o.peer), path, timeout)) {
            if (o.server() && !vchan.awaitPeer(timeout)) {
                throw new IllegalStateException("no client within " + timeout);
            }
            if (o.pingpong) {
                if (o.server()) {
                    echo(vchan, o.size, timeout);
                } else {
                    System.out.println(pingPong(vchan, o, timeout).line());
                }
            } else {
                bulk(vchan, o, timeout);
            }
            if (o.server()) {
                vchan.awaitPeerClosed(timeout); // the client closes once it has all it expects
            }
        }
    }

    private static void bulk(BlockingVchan vchan, BenchPeerCommand o, Duration timeout) throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CpuWindow cpu = new CpuWindow();
        Thread writer = new Thread(() -> {
            try {
                ByteBuffer buf = ByteBuffer.allocate(o.size);
                boolean warm = false;
                for (long sent = 0; sent < o.toSend(); ) {
                    int n = (int) Math.min(o.size, o.toSend() - sent);
                    buf.clear().limit(n);
                    if (!warm && sent >= o.warmup) {
                        warm = true;
                        cpu.open();
                    }
                    vchan.writeFully(buf, timeout);
                    sent += n;
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        }, "bench-writer");
        writer.start();
        RxMeter meter = new RxMeter(o.warmup, o.toReceive(), cpu);
        ByteBuffer buf = ByteBuffer.allocate(o.size);
        while (meter.total() < o.toReceive()) {
            buf.clear();
            int n = vchan.read(buf, timeout);
            if (n < 0) {
                throw new IllegalStateException("peer closed after " + meter.total() + " bytes");
            }
            meter.add(n);
        }
        writer.join();
        if (failure.get() != null) {
            throw new IllegalStateException("writing failed", failure.get());
        }
        if (o.toReceive() > 0) {
            System.out.println(meter.line());
        }
        System.out.println(cpu.line());
    }

    private static void echo(BlockingVchan vchan, int size, Duration timeout) throws Exception {
        ByteBuffer buf = ByteBuffer.allocate(Math.max(size, 4096));
        while (true) {
            buf.clear();
            if (vchan.read(buf, timeout) < 0) {
                return;
            }
            buf.flip();
            vchan.writeFully(buf, timeout);
        }
    }

    private static Rtt pingPong(BlockingVchan vchan, BenchPeerCommand o, Duration timeout) throws Exception {
        Rtt rtt = new Rtt();
        ByteBuffer ping = ByteBuffer.allocate(o.size);
        ByteBuffer pong = ByteBuffer.allocate(o.size);
        for (long i = 0; i < o.warmupTrips + o.trips; i++) {
            long start = System.nanoTime();
            ping.clear();
            vchan.writeFully(ping, timeout);
            pong.clear();
            while (pong.hasRemaining()) {
                if (vchan.read(pong, timeout) < 0) {
                    throw new IllegalStateException("peer closed during ping-pong");
                }
            }
            if (i >= o.warmupTrips) {
                rtt.record(System.nanoTime() - start);
            }
        }
        return rtt;
    }
}
