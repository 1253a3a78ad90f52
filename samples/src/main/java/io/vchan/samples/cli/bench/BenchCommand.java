package io.vchan.samples.cli.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code vchan bench}: throughput, round-trip latency and scale of (a) the
 * connector, (b) raw native-bridge endpoints, (c) Debian's libxenvchan and
 * (d) Pekko Tcp, in one invocation, in alternating rounds. Every run is a
 * fresh pair of processes; vchan runs are on a fresh xensim host each.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Throughput, latency and scale beside libxenvchan and Pekko Tcp, in one run.",
                "Prints a table on stdout (progress on stderr); exits 1 if any run failed."})
public final class BenchCommand implements Callable<Integer> {

    @Option(names = "--quick", description = "Small and fast (under a minute), for CI smoke runs: one round, "
            + "64 KiB elements, 1 and 10 channels; explicit options still win.")
    boolean quick;
    @Option(names = "--json", paramLabel = "FILE", description = "Also write the figures as JSON.")
    Path json;
    @Option(names = "--rounds", description = "Measured rounds (default 5; quick 1).")
    Integer rounds;
    @Option(names = "--warmup-rounds", description = "Rounds run first and discarded (default 1; quick 0).")
    Integer warmupRounds;
    @Option(names = "--only", split = ",", description = "Any of throughput,latency,scale (default all).")
    List<String> only;
    @Option(names = "--impls", split = ",", description = "Any of a,b,c,d (default all).")
    List<String> impls;
    @Option(names = "--sizes", split = ",", description = "Element sizes in bytes (default 4096,65536,1048576; "
            + "quick 65536).")
    List<Integer> sizes;
    @Option(names = "--mib", description = "Least timed MiB per direction per throughput run (default 1024;"
            + " quick 32).")
    Long mib;
    @Option(names = "--seconds", description = "Least timed seconds per throughput run: a run sends what the"
            + " previous run of its case moved in that time, at least --mib (default 3; quick 0: --mib only).")
    Double seconds;
    @Option(names = "--warmup-mib", description = "Least untimed MiB sent first in each run (default 256; quick 16).")
    Long warmupMib;
    @Option(names = "--warmup-seconds", description = "Least untimed seconds first in each throughput run, for the"
            + " JIT to finish: a run first sends what the previous run of its case moved in that time, at least"
            + " --warmup-mib (default 3; quick 0: --warmup-mib only).")
    Double warmupSeconds;
    @Option(names = "--trips", description = "Recorded round trips per latency run (default 100000; quick 2000).")
    Long trips;
    @Option(names = "--warmup-trips", description = "Round trips first (default 10000; quick 1000).")
    Long warmupTrips;
    @Option(names = "--channels", split = ",", description = "Scale steps (default 1,10,100,1000; quick 1,10).")
    List<Integer> channels;
    @Option(names = "--scale-mib", description = "MiB spread over the channels of a scale run (default 256; "
            + "quick 16).")
    Long scaleMib;
    @Option(names = "--c-driver", paramLabel = "PATH", defaultValue = "native-bridge/target/test-bin/vchan-driver",
            description = "libxenvchan test driver (default ${DEFAULT-VALUE}); (c) is skipped without it.")
    Path cDriver;
    @Option(names = "--xen-libdir", paramLabel = "DIR", description = "Debian's Xen libraries for the C driver "
            + "(default: what native-bridge/target/xen/libdir names).")
    Path xenLibDir;
    @Option(names = "--xensim-libdir", paramLabel = "DIR", description = "xensim's libraries (default: "
            + "-Dvchan.xensim.libdir, else native-bridge/target/xensim).")
    Path xensimLibDir;
    @Option(names = "--jvm-opt", description = "Options of the peer JVMs (default -XX:+UseSerialGC; quick also "
            + "-XX:TieredStopAtLevel=1, to start fast).")
    List<String> jvmOptions;
    @Option(names = "--timeout-s", description = "Longest a run may take (default 300; quick 60).")
    Long timeoutSeconds;

    private static <T> T pick(T given, T full, T fast, boolean quick) {
        return given != null ? given : quick ? fast : full;
    }

    @Override
    public Integer call() throws Exception {
        List<Impl> chosen = chosenImpls();
        List<String> skipped = new ArrayList<>();
        Duration timeout = Duration.ofSeconds(pick(timeoutSeconds, 300L, 60L, quick));
        BenchSetup setup = new BenchSetup(BenchSetup.now(), BenchSetup.describeMachine(),
                pick(rounds, 5, 1, quick), pick(warmupRounds, 1, 0, quick), pick(mib, 1024L, 32L, quick),
                pick(seconds, 3.0, 0.0, quick), pick(warmupMib, 256L, 16L, quick),
                pick(warmupSeconds, 3.0, 0.0, quick), pick(sizes, List.of(4096, 65536, 1 << 20), List.of(65536), quick),
                64, pick(trips, 100_000L, 2000L, quick), Math.max(1, pick(warmupTrips, 10_000L, 1000L, quick)),
                pick(channels, List.of(1, 10, 100, 1000), List.of(1, 10), quick), pick(scaleMib, 256L, 16L, quick),
                pick(jvmOptions, List.of("-XX:+UseSerialGC"), List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"),
                        quick), quick);
        try (Launcher launcher = new Launcher(setup.jvmOptions(), xensimLibDir(), xenLibDir(), cDriver)) {
            String cMissing = launcher.cDriverMissing();
            if (chosen.contains(Impl.C) && cMissing != null) {
                chosen.remove(Impl.C);
                skipped.add("(c) libxenvchan skipped: " + cMissing);
                System.err.println("vchan bench: " + skipped.get(0));
            }
            ThroughputRun throughput = new ThroughputRun(launcher, chosen, setup.sizes(), setup.mib() << 20,
                    setup.seconds(), setup.warmupMib() << 20, setup.warmupSeconds(), timeout);
            LatencyRun latency = new LatencyRun(launcher, chosen, setup.pingSize(), setup.trips(),
                    setup.warmupTrips(), timeout);
            ScaleRun scale = new ScaleRun(launcher, setup.channels(), setup.scaleMib() << 20, timeout);
            Progress progress = new Progress(System.err);
            int all = setup.warmupRounds() + setup.rounds();
            for (int r = 1; r <= all; r++) {
                boolean measured = r > setup.warmupRounds();
                progress.round("round " + r + "/" + all + (measured ? "" : " (warm-up, discarded)"));
                if (runs("throughput")) {
                    throughput.round(measured, progress);
                }
                if (runs("latency")) {
                    latency.round(measured, progress);
                }
                if (runs("scale")) {
                    scale.round(measured, progress);
                }
            }
            report(setup, chosen, throughput, latency, scale, skipped, progress.failures);
            return progress.failures.isEmpty() ? 0 : 1;
        }
    }

    private void report(BenchSetup setup, List<Impl> chosen, ThroughputRun throughput, LatencyRun latency,
            ScaleRun scale, List<String> skipped, List<String> failures) throws IOException {
        BenchTable table = new BenchTable(System.out);
        BenchJson report = new BenchJson(setup);
        table.header(setup);
        if (runs("throughput")) {
            table.throughput(throughput, chosen, setup.sizes(), setup);
            report.throughput(throughput, chosen, setup.sizes());
        }
        if (runs("latency")) {
            table.latency(latency, chosen);
            report.latency(latency, chosen);
        }
        if (runs("scale")) {
            table.scale(scale, setup.channels(), setup);
            report.scale(scale, setup.channels());
        }
        List<String> notes = new ArrayList<>();
        if (runs("throughput") || runs("latency")) {
            notes.addAll(List.of(
                    "(a), (b), (c): two processes on a fresh xensim host per run (shared memory between processes,"
                            + " a notify one eventfd write from process to process), not real Xen domains",
                    "(b): BlockingVchan, a writer thread plus the reading thread, one event-loop thread, no Pekko",
                    "(d): Pekko Tcp, two processes over 127.0.0.1 (loopback, not xensim), half-close on"));
        }
        if (runs("scale")) {
            notes.add("scale: threads and RSS are each JVM's after all N are open, RSS per channel = growth since"
                    + " the baseline / N; the client opens all N as soon as a warm-up channel has come and gone;"
                    + " in brackets, the threads of Pekko's default and internal dispatchers, pools that grow with"
                    + " load up to their configured size");
        }
        if (setup.quick()) {
            notes.add("--quick: a smoke run (small loads, one round, peer JVMs " + String.join(" ",
                    setup.jvmOptions()) + "); its figures are not for comparison");
        }
        notes.addAll(skipped);
        failures.forEach(f -> notes.add("FAILED " + f));
        table.notes(notes);
        report.notes(skipped, failures);
        if (json != null) {
            report.write(json);
            System.out.println();
            System.out.println("json: " + json);
        }
    }

    private boolean runs(String test) {
        return only == null || only.contains(test);
    }

    private List<Impl> chosenImpls() {
        List<Impl> chosen = new ArrayList<>();
        for (Impl i : Impl.values()) {
            if (impls == null || impls.contains(i.letter)) {
                chosen.add(i);
            }
        }
        return chosen;
    }

    private Path xensimLibDir() {
        if (xensimLibDir != null) {
            return xensimLibDir;
        }
        String property = System.getProperty("vchan.xensim.libdir");
        return Path.of(property != null ? property : "native-bridge/target/xensim");
    }

    private Path xenLibDir() throws IOException {
        if (xenLibDir != null) {
            return xenLibDir;
        }
        Path named = Path.of("native-bridge/target/xen/libdir");
        return Files.isRegularFile(named) ? Path.of(Files.readString(named).trim())
                : Path.of("native-bridge/target/xen/root/usr/lib/x86_64-linux-gnu");
    }
}
