package io.vchan.samples.cli.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Bulk throughput: the server sends {@code warmup + bytes} in elements of
 * {@code size} (one-way), or both ends do (both ways), over rings of orders
 * 20/20. A receiver times its window from the end of the warm-up bytes to the
 * last byte: one-way is the client's rate, both ways the sum of both ends' rates.
 * Both parts are sized by the previous run of the same case: the warm-up is
 * what it moved in {@code warmupSeconds} (at least {@code minWarmup}), since a
 * fresh JVM's JIT compiles for seconds, on the same cores as the transfer;
 * the timed part what it moved in {@code seconds} (at least {@code minBytes}),
 * so a fast implementation is not timed over a blink. Each peer reports its
 * CPU time over its window; their sum per GB moved is the cost beside the rate.
 */
final class ThroughputRun {

    static final int RING = 1 << 20;

    private final Launcher launcher;
    private final List<Impl> impls;
    private final List<Integer> sizes;
    private final long minBytes;
    private final double seconds;
    private final long minWarmup;
    private final double warmupSeconds;
    private final Duration timeout;
    private final Map<String, Double> lastMBps = new HashMap<>();
    final Figures mbps = new Figures();
    /** CPU seconds (user + sys, both processes) per 10^9 bytes moved. */
    final Figures cpuPerGB = new Figures();
    /** The timed window, seconds (the shorter receiver's when both send). */
    final Figures windowSeconds = new Figures();

    private record Result(double mbps, double cpuPerGB, double windowSeconds) {
    }

    ThroughputRun(Launcher launcher, List<Impl> impls, List<Integer> sizes, long minBytes, double seconds,
            long minWarmup, double warmupSeconds, Duration timeout) {
        this.launcher = launcher;
        this.impls = impls;
        this.sizes = sizes;
        this.minBytes = minBytes;
        this.seconds = seconds;
        this.minWarmup = minWarmup;
        this.warmupSeconds = warmupSeconds;
        this.timeout = timeout;
    }

    static String key(Impl impl, int size, boolean both) {
        return impl.name() + "/" + size + "/" + (both ? "both" : "one-way");
    }

    /** One round: every size and direction, the implementations in turn. */
    void round(boolean measured, Progress progress) {
        for (int size : sizes) {
            for (boolean both : List.of(false, true)) {
                for (Impl impl : impls) {
                    String what = BenchTable.size(size) + (both ? " both ways" : " one-way") + " " + impl.label();
                    String key = key(impl, size, both);
                    progress.run(what, "MB/s", () -> {
                        Result r = once(impl, size, both, bytesFor(key, size, both, warmupSeconds, minWarmup),
                                bytesFor(key, size, both, seconds, minBytes));
                        lastMBps.put(key, r.mbps());
                        if (measured) {
                            mbps.add(key, r.mbps());
                            cpuPerGB.add(key, r.cpuPerGB());
                            windowSeconds.add(key, r.windowSeconds());
                        }
                        return r.mbps();
                    });
                }
            }
        }
    }

    /** Bytes per direction: this case's last rate times {@code forSeconds}, at least {@code least}, whole elements. */
    private long bytesFor(String key, int size, boolean both, double forSeconds, long least) {
        Double rate = lastMBps.get(key);
        double perDirection = rate == null ? 0 : rate * 1e6 * forSeconds / (both ? 2 : 1);
        long bytes = Math.max(least, (long) perDirection);
        return (bytes + size - 1) / size * size;
    }

    private Result once(Impl impl, int size, boolean both, long warmup, long bytes) throws Exception {
        long total = warmup + bytes;
        List<String> server = new ArrayList<>();
        List<String> client = new ArrayList<>();
        if (impl == Impl.C) {
            server.addAll(List.of("--read-size", "" + RING, "--write-size", "" + RING, "--send", "" + total));
            client.addAll(List.of("--expect", "" + total));
            if (both) {
                server.addAll(List.of("--expect", "" + total));
                client.addAll(List.of("--send", "" + total));
            }
            for (List<String> side : List.of(server, client)) {
                side.addAll(List.of("--chunk", "" + size, "--warmup", "" + warmup, "--no-verify",
                        "--timeout-ms", "" + timeout.toMillis()));
            }
        } else {
            for (List<String> side : List.of(server, client)) {
                side.addAll(List.of("--size", "" + size, "--bytes", "" + bytes, "--warmup", "" + warmup,
                        "--ring-size", "" + RING, "--timeout-s", "" + timeout.toSeconds()));
                if (both) {
                    side.add("--both");
                }
            }
        }
        PairRun.Output out = PairRun.run(launcher, impl, server, client, timeout);
        double rate = PairRun.windowMBps(out.client());
        long moved = PairRun.value(out.client(), "window ", "bytes");
        double window = PairRun.value(out.client(), "window ", "ns") / 1e9;
        if (both) {
            rate += PairRun.windowMBps(out.server());
            moved += PairRun.value(out.server(), "window ", "bytes");
            window = Math.min(window, PairRun.value(out.server(), "window ", "ns") / 1e9);
        }
        long cpuNs = PairRun.value(out.client(), "cpu ", "ns") + PairRun.value(out.server(), "cpu ", "ns");
        return new Result(rate, cpuNs / (double) Math.max(1, moved), window);
    }
}
