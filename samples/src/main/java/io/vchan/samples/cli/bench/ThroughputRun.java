package io.vchan.samples.cli.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Bulk throughput: the server sends {@code warmup + bytes} in elements of
 * {@code size} (one-way), or both ends do (both ways), over rings of orders
 * 20/20. A receiver times its window from the end of the warm-up bytes to the
 * last byte: one-way is the client's rate, both ways the sum of both ends' rates.
 */
final class ThroughputRun {

    static final int RING = 1 << 20;

    private final Launcher launcher;
    private final List<Impl> impls;
    private final List<Integer> sizes;
    private final long bytes;
    private final long warmup;
    private final Duration timeout;
    final Figures mbps = new Figures();

    ThroughputRun(Launcher launcher, List<Impl> impls, List<Integer> sizes, long bytes, long warmup,
            Duration timeout) {
        this.launcher = launcher;
        this.impls = impls;
        this.sizes = sizes;
        this.bytes = bytes;
        this.warmup = warmup;
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
                    progress.run(what, "MB/s", () -> {
                        double v = once(impl, size, both);
                        if (measured) {
                            mbps.add(key(impl, size, both), v);
                        }
                        return v;
                    });
                }
            }
        }
    }

    private double once(Impl impl, int size, boolean both) throws Exception {
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
        return both ? rate + PairRun.windowMBps(out.server()) : rate;
    }
}
