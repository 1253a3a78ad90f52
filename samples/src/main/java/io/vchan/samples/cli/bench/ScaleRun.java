package io.vchan.samples.cli.bench;

import java.time.Duration;
import java.util.List;

/**
 * Scale: N connector channel pairs at once between two JVMs (see
 * {@link ScalePeer}): time for the client to open all N, aggregate
 * server-to-client throughput, JVM thread counts (and of them Pekko's
 * dispatchers', which grow with load) and RSS growth per channel.
 */
final class ScaleRun {

    static final int RING = 64 << 10;
    static final int ELEMENT = 64 << 10;
    static final String[] FIGURES = {"open_ms", "MBps", "threads_server", "threads_client", "threads_base_client",
            "threads_pekko_server", "threads_pekko_client",
            "rss_kb_per_channel_server", "rss_kb_per_channel_client"};

    private final Launcher launcher;
    private final List<Integer> channels;
    private final long totalBytes;
    private final Duration timeout;
    final Figures figures = new Figures();

    ScaleRun(Launcher launcher, List<Integer> channels, long totalBytes, Duration timeout) {
        this.launcher = launcher;
        this.channels = channels;
        this.totalBytes = totalBytes;
        this.timeout = timeout;
    }

    static String key(int n, String figure) {
        return n + "/" + figure;
    }

    long bytesPerChannel(int n) {
        return Math.max(ELEMENT, totalBytes / n);
    }

    void round(boolean measured, Progress progress) {
        for (int n : channels) {
            progress.run(n + " channels: open all", "ms", () -> {
                List<String> args = List.of("--channels", "" + n, "--bytes", "" + bytesPerChannel(n), "--size",
                        "" + ELEMENT, "--ring-size", "" + RING, "--timeout-s", "" + timeout.toSeconds());
                PairRun.Output out = PairRun.run(launcher, Impl.FLOW, "scale", args, args, timeout);
                double open = PairRun.value(out.client(), "scale ", "open_ms");
                if (measured) {
                    figures.add(key(n, "open_ms"), open);
                    figures.add(key(n, "MBps"), PairRun.windowMBps(out.client()));
                    figures.add(key(n, "threads_server"), PairRun.value(out.server(), "scale ", "threads"));
                    figures.add(key(n, "threads_client"), PairRun.value(out.client(), "scale ", "threads"));
                    figures.add(key(n, "threads_base_client"), PairRun.value(out.client(), "scale ", "threads_base"));
                    figures.add(key(n, "threads_pekko_server"),
                            PairRun.value(out.server(), "scale ", "threads_pekko"));
                    figures.add(key(n, "threads_pekko_client"),
                            PairRun.value(out.client(), "scale ", "threads_pekko"));
                    figures.add(key(n, "rss_kb_per_channel_server"), rssPerChannel(out.server(), n));
                    figures.add(key(n, "rss_kb_per_channel_client"), rssPerChannel(out.client(), n));
                }
                return open;
            });
        }
    }

    private static double rssPerChannel(List<String> lines, int n) {
        return (double) (PairRun.value(lines, "scale ", "rss_kb") - PairRun.value(lines, "scale ", "rss_base_kb")) / n;
    }
}
