package io.vchan.samples.cli.bench;

import io.vchan.connector.DomainId;
import io.vchan.connector.Vchan;
import io.vchan.connector.VchanConnection;
import io.vchan.connector.VchanPort;
import io.vchan.connector.VchanSettings;
import io.vchan.samples.cli.CliSystem;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * Scale: N connector channels at once between this JVM and the peer's. Both
 * first open and close one warm-up channel (class loading, first-use costs),
 * take a baseline (threads, RSS), then open N at once. The server sends
 * {@code --bytes} on each channel once all its N are connected; the client
 * counts. Each prints {@code scale open_ms=.. threads_base=.. threads=..
 * threads_pekko=.. rss_base_kb=.. rss_kb=..}; the client also {@code window bytes=.. ns=..}
 * from its first byte (or all open, if earlier) to its last.
 */
final class ScalePeer {

    private ScalePeer() {
    }

    static void run(BenchPeerCommand o) throws Exception {
        ActorSystem<Void> system = CliSystem.create("bench-scale-" + o.role);
        try {
            Vchan vchan = Vchan.get(system);
            VchanSettings settings = vchan.settings().withReadRingSize(o.ringSize).withWriteRingSize(o.ringSize)
                    .withHalfClose(true).withConnectTimeout(o.timeout());
            open(vchan, settings, "warm", 1, CompletableFuture.completedFuture(null), 0, o, system,
                    new LongAdder(), new AtomicLong())
                    .second().get(o.timeoutSeconds, TimeUnit.SECONDS);
            int threadsBase = threads();
            long rssBase = rssKb();
            AtomicLong firstByte = new AtomicLong();
            LongAdder received = new LongAdder();
            CompletableFuture<Void> allOpen = new CompletableFuture<>();
            long start = System.nanoTime();
            Pair<CompletableFuture<Void>, CompletableFuture<Void>> channels =
                    open(vchan, settings, "s", o.channels, allOpen, o.bytes, o, system, received, firstByte);
            channels.first().get(o.timeoutSeconds, TimeUnit.SECONDS);
            long opened = System.nanoTime();
            allOpen.complete(null);
            System.out.println("scale open_ms=" + (opened - start) / 1_000_000 + " threads_base=" + threadsBase
                    + " threads=" + threads() + " threads_pekko=" + pekkoDispatcherThreads() + " rss_base_kb=" + rssBase
                    + " rss_kb=" + rssKb());
            channels.second().get(o.timeoutSeconds, TimeUnit.SECONDS);
            if (!o.server()) {
                long end = System.nanoTime();
                long first = firstByte.get();
                System.out.println("window bytes=" + received.sum() + " ns="
                        + (end - (first == 0 ? opened : Math.min(first, opened))));
            }
        } finally {
            system.terminate();
        }
    }

    /**
     * Opens {@code n} channels on ports {@code prefix0..}: all connected, and all closed.
     * The server sends {@code bytes} on each once {@code go} completes.
     */
    private static Pair<CompletableFuture<Void>, CompletableFuture<Void>> open(Vchan vchan, VchanSettings settings,
            String prefix, int n, CompletableFuture<Void> go, long bytes, BenchPeerCommand o,
            ActorSystem<Void> system, LongAdder received, AtomicLong firstByte) {
        List<CompletableFuture<?>> connected = new ArrayList<>();
        List<CompletableFuture<?>> closed = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            VchanPort port = VchanPort.of(prefix + i);
            Flow<ByteString, ByteString, CompletionStage<VchanConnection>> flow = o.server()
                    ? vchan.server(DomainId.of(o.peer), port, settings)
                    : vchan.client(DomainId.of(o.peer), port, settings);
            Source<ByteString, ?> out = o.server()
                    ? StreamLoad.holdUntil(go).concat(StreamLoad.bulk(bytes, o.size))
                    : Source.empty();
            Pair<CompletionStage<VchanConnection>, CompletionStage<Done>> run = out.viaMat(flow, Keep.right())
                    .toMat(Sink.foreach(bs -> {
                        if (firstByte.get() == 0) {
                            firstByte.compareAndSet(0, System.nanoTime());
                        }
                        received.add(bs.size());
                    }), Keep.both()).run(system);
            CompletableFuture<VchanConnection> c = run.first().toCompletableFuture();
            connected.add(c);
            closed.add(c.thenCompose(VchanConnection::whenClosed).toCompletableFuture());
            closed.add(run.second().toCompletableFuture());
        }
        return Pair.create(CompletableFuture.allOf(connected.toArray(CompletableFuture[]::new)),
                CompletableFuture.allOf(closed.toArray(CompletableFuture[]::new)));
    }

    private static int threads() {
        return ManagementFactory.getThreadMXBean().getThreadCount();
    }

    /**
     * Threads of Pekko's default and internal dispatchers: pools that grow with load up to their
     * configured parallelism, whatever runs on them (here 1000 streams' stages and actors).
     */
    private static long pekkoDispatcherThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().contains("pekko.actor.default-dispatcher")
                        || t.getName().contains("pekko.actor.internal-dispatcher"))
                .count();
    }

    /** Resident set size from /proc/self/status, in KiB (0 where there is no /proc). */
    private static long rssKb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | NumberFormatException e) {
            // no /proc: RSS is reported as 0
        }
        return 0;
    }
}
