package io.vchan.samples.cli.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code --json FILE}: the same figures as the table, every measured round included. */
final class BenchJson {

    private final Map<String, Object> root = new LinkedHashMap<>();

    BenchJson(BenchSetup setup) {
        root.put("tool", "vchan bench");
        root.put("date", setup.date());
        root.put("machine", setup.machine());
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("quick", setup.quick());
        config.put("rounds", setup.rounds());
        config.put("warmup_rounds", setup.warmupRounds());
        config.put("ring_orders", List.of(20, 20));
        config.put("element_sizes", setup.sizes());
        config.put("least_timed_mib_per_run", setup.mib());
        config.put("least_timed_seconds_per_run", setup.seconds());
        config.put("warmup_mib_per_run", setup.warmupMib());
        config.put("least_warmup_seconds_per_run", setup.warmupSeconds());
        config.put("ping_size", setup.pingSize());
        config.put("round_trips", setup.trips());
        config.put("warmup_round_trips", setup.warmupTrips());
        config.put("scale_channels", setup.channels());
        config.put("scale_mib", setup.scaleMib());
        config.put("scale_ring_size", ScaleRun.RING);
        config.put("jvm_options", setup.jvmOptions());
        config.put("tcp", "Pekko Tcp, two processes over 127.0.0.1");
        root.put("config", config);
    }

    static Map<String, Object> stats(Figures f, String key, String unit) {
        Stats s = f.stats(key);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("unit", unit);
        m.put("median", s.n() == 0 ? null : s.median());
        m.put("min", s.n() == 0 ? null : s.min());
        m.put("max", s.n() == 0 ? null : s.max());
        m.put("runs", f.values(key));
        return m;
    }

    private static Map<String, Object> impl(Impl impl) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("impl", impl.letter);
        m.put("name", impl.title);
        return m;
    }

    void throughput(ThroughputRun run, List<Impl> impls, List<Integer> sizes) {
        List<Object> rows = new ArrayList<>();
        for (int size : sizes) {
            for (boolean both : List.of(false, true)) {
                for (Impl i : impls) {
                    Map<String, Object> m = impl(i);
                    m.put("element_bytes", size);
                    m.put("direction", both ? "both" : "one-way");
                    String key = ThroughputRun.key(i, size, both);
                    m.putAll(stats(run.mbps, key, "MB/s"));
                    m.put("cpu_seconds_per_gb", stats(run.cpuPerGB, key, "s/GB"));
                    m.put("window_seconds", stats(run.windowSeconds, key, "s"));
                    rows.add(m);
                }
            }
        }
        root.put("throughput", rows);
    }

    void latency(LatencyRun run, List<Impl> impls) {
        List<Object> rows = new ArrayList<>();
        for (Impl i : impls) {
            Map<String, Object> m = impl(i);
            m.put("size_bytes", run.size());
            m.put("round_trips", run.trips());
            for (String p : LatencyRun.PERCENTILES) {
                m.put(p, stats(run.micros, LatencyRun.key(i, p), "us"));
            }
            rows.add(m);
        }
        root.put("latency", rows);
    }

    void scale(ScaleRun run, List<Integer> channels) {
        List<Object> rows = new ArrayList<>();
        for (int n : channels) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("channels", n);
            m.put("bytes_per_channel", run.bytesPerChannel(n));
            m.put("open_ms", stats(run.figures, ScaleRun.key(n, "open_ms"), "ms"));
            m.put("aggregate", stats(run.figures, ScaleRun.key(n, "MBps"), "MB/s"));
            m.put("threads_server", stats(run.figures, ScaleRun.key(n, "threads_server"), "threads"));
            m.put("threads_client", stats(run.figures, ScaleRun.key(n, "threads_client"), "threads"));
            m.put("threads_pekko_dispatchers_server", stats(run.figures, ScaleRun.key(n, "threads_pekko_server"),
                    "threads"));
            m.put("threads_pekko_dispatchers_client", stats(run.figures, ScaleRun.key(n, "threads_pekko_client"),
                    "threads"));
            m.put("threads_client_before_open", stats(run.figures, ScaleRun.key(n, "threads_base_client"),
                    "threads"));
            m.put("rss_per_channel_server", stats(run.figures, ScaleRun.key(n, "rss_kb_per_channel_server"), "KiB"));
            m.put("rss_per_channel_client", stats(run.figures, ScaleRun.key(n, "rss_kb_per_channel_client"), "KiB"));
            rows.add(m);
        }
        root.put("scale", rows);
    }

    void notes(List<String> skipped, List<String> failures) {
        root.put("skipped", skipped);
        root.put("failures", failures);
    }

    void write(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            java.nio.file.Files.createDirectories(parent);
        }
        new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(file.toFile(), root);
    }
}
