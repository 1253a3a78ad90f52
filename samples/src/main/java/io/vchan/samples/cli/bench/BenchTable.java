package io.vchan.samples.cli.bench;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;

/** The stdout table: medians with [min..max] over the measured rounds. */
final class BenchTable {

    private final PrintStream out;

    BenchTable(PrintStream out) {
        this.out = out;
    }

    static String size(int bytes) {
        return bytes >= 1 << 20 && bytes % (1 << 20) == 0 ? (bytes >> 20) + " MiB"
                : bytes >= 1024 && bytes % 1024 == 0 ? (bytes >> 10) + " KiB" : bytes + " B";
    }

    static String number(double v) {
        return String.format(Locale.ROOT, Math.abs(v) >= 100 ? "%.0f" : Math.abs(v) >= 10 ? "%.1f" : "%.2f", v);
    }

    static String cell(Stats s) {
        return s.n() == 0 ? "-" : number(s.median()) + " [" + number(s.min()) + ".." + number(s.max()) + "]";
    }

    void header(BenchSetup setup) {
        out.println("vchan bench " + setup.date() + ": " + setup.machine());
        out.println(setup.rounds() + " measured round(s) after " + setup.warmupRounds()
                + " warm-up round(s), the implementations alternating within each round; each run is a fresh"
                + " pair of processes (on a fresh xensim host); figures: median [min..max] over the rounds");
    }

    void throughput(ThroughputRun run, List<Impl> impls, List<Integer> sizes, BenchSetup setup) {
        out.println();
        out.println("Bulk throughput, MB/s (10^6 bytes/s): rings of orders 20/20 (1 MiB each way); per run and"
                + " direction, a warm-up of what the case's previous run moved in " + number(setup.warmupSeconds())
                + " s (at least " + setup.warmupMib() + " MiB), then timed what it moved in "
                + number(setup.seconds()) + " s (at least " + setup.mib() + " MiB);");
        out.println("one-way = the receiver's rate; both ways = the two receivers' rates added");
        table(run.mbps, impls, sizes);
        out.println();
        out.println("Cost: CPU seconds (user + sys, both processes, each over its window) per GB (10^9 bytes) moved");
        table(run.cpuPerGB, impls, sizes);
        out.println();
        out.println("Timed window, seconds (both ways: the shorter receiver's)");
        table(run.windowSeconds, impls, sizes);
    }

    private void table(Figures figures, List<Impl> impls, List<Integer> sizes) {
        StringBuilder h = new StringBuilder(String.format("%-9s %-10s", "element", "direction"));
        impls.forEach(i -> h.append(String.format(" %-26s", i.label())));
        out.println(h.toString().stripTrailing());
        for (int size : sizes) {
            for (boolean both : List.of(false, true)) {
                StringBuilder row = new StringBuilder(String.format("%-9s %-10s", size(size),
                        both ? "both ways" : "one-way"));
                impls.forEach(i -> row.append(String.format(" %-26s", cell(figures.stats(
                        ThroughputRun.key(i, size, both))))));
                out.println(row.toString().stripTrailing());
            }
        }
    }

    void latency(LatencyRun run, List<Impl> impls) {
        out.println();
        out.println("Round-trip latency, " + run.size() + "-byte ping-pong, microseconds: " + run.trips()
                + " round trips per run after warm-up");
        out.println(String.format("%-28s %-24s %-24s %-24s %s", "", "p50", "p99", "p99.9", "max"));
        for (Impl impl : impls) {
            StringBuilder row = new StringBuilder(String.format("%-28s", impl.label()));
            for (String p : LatencyRun.PERCENTILES) {
                row.append(String.format(" %-24s", cell(run.micros.stats(LatencyRun.key(impl, p)))));
            }
            out.println(row.toString().stripTrailing());
        }
    }

    void scale(ScaleRun run, List<Integer> channels, BenchSetup setup) {
        out.println();
        out.println("Scale: N connector channels at once between two JVMs, rings of " + size(ScaleRun.RING)
                + " each way, " + setup.scaleMib() + " MiB server->client spread over the channels");
        out.println(String.format("%-9s %-22s %-22s %-36s %s", "channels", "open all, ms", "aggregate MB/s",
                "threads server / client (Pekko's)", "RSS KiB per channel server / client"));
        for (int n : channels) {
            Figures f = run.figures;
            out.println(String.format("%-9d %-22s %-22s %-36s %s", n,
                    cell(f.stats(ScaleRun.key(n, "open_ms"))), cell(f.stats(ScaleRun.key(n, "MBps"))),
                    pair(f.stats(ScaleRun.key(n, "threads_server")), f.stats(ScaleRun.key(n, "threads_client")))
                            + " (" + pair(f.stats(ScaleRun.key(n, "threads_pekko_server")),
                                    f.stats(ScaleRun.key(n, "threads_pekko_client"))) + ")",
                    pair(f.stats(ScaleRun.key(n, "rss_kb_per_channel_server")),
                            f.stats(ScaleRun.key(n, "rss_kb_per_channel_client")))).stripTrailing());
        }
    }

    private static String pair(Stats a, Stats b) {
        return (a.n() == 0 ? "-" : number(a.median())) + " / " + (b.n() == 0 ? "-" : number(b.median()));
    }

    void notes(List<String> notes) {
        if (notes.isEmpty()) {
            return;
        }
        out.println();
        notes.forEach(n -> out.println("note: " + n));
    }
}
