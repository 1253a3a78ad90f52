package io.vchan.samples.cli.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Round-trip latency: the client writes {@code size} bytes, the server echoes
 * them, the client reads them back; {@code warmup} trips first, then
 * {@code trips} recorded (HdrHistogram in Java, nearest-rank in the C driver).
 * Each round gives p50, p99, p99.9 and max in microseconds.
 */
final class LatencyRun {

    static final String[] PERCENTILES = {"p50", "p99", "p999", "max"};

    private final Launcher launcher;
    private final List<Impl> impls;
    private final int size;
    private final long trips;
    private final long warmup;
    private final Duration timeout;
    final Figures micros = new Figures();

    LatencyRun(Launcher launcher, List<Impl> impls, int size, long trips, long warmup, Duration timeout) {
        this.launcher = launcher;
        this.impls = impls;
        this.size = size;
        this.trips = trips;
        this.warmup = warmup;
        this.timeout = timeout;
    }

    static String key(Impl impl, String percentile) {
        return impl.name() + "/" + percentile;
    }

    int size() {
        return size;
    }

    long trips() {
        return trips;
    }

    void round(boolean measured, Progress progress) {
        for (Impl impl : impls) {
            progress.run(size + " B ping-pong p50 " + impl.label(), "us", () -> {
                List<String> client = once(impl);
                double p50 = PairRun.value(client, "rtt_ns ", "p50") / 1000.0;
                if (measured) {
                    for (String p : PERCENTILES) {
                        micros.add(key(impl, p), PairRun.value(client, "rtt_ns ", p) / 1000.0);
                    }
                }
                return p50;
            });
        }
    }

    private List<String> once(Impl impl) throws Exception {
        List<String> server = new ArrayList<>();
        List<String> client = new ArrayList<>();
        if (impl == Impl.C) {
            server.addAll(List.of("--echo", "--read-size", "" + ThroughputRun.RING, "--write-size",
                    "" + ThroughputRun.RING));
            client.addAll(List.of("--pingpong", "" + trips, "--pingpong-warmup", "" + warmup, "--size", "" + size));
            for (List<String> side : List.of(server, client)) {
                side.addAll(List.of("--timeout-ms", "" + timeout.toMillis()));
            }
        } else {
            for (List<String> side : List.of(server, client)) {
                side.addAll(List.of("--pingpong", "--size", "" + size, "--trips", "" + trips, "--warmup-trips",
                        "" + warmup, "--ring-size", "" + ThroughputRun.RING, "--timeout-s", "" + timeout.toSeconds()));
            }
        }
        return PairRun.run(launcher, impl, server, client, timeout).client();
    }
}
