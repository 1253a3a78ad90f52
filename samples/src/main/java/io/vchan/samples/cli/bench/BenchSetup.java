package io.vchan.samples.cli.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

/** What a bench invocation ran with, for the table's header and the JSON. */
record BenchSetup(String date, String machine, int rounds, int warmupRounds, long mib, double seconds,
        long warmupMib, double warmupSeconds,
        List<Integer> sizes, int pingSize, long trips, long warmupTrips, List<Integer> channels, long scaleMib,
        List<String> jvmOptions, boolean quick) {

    static String now() {
        return Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    }

    /** CPU model, cores, OS and Java of this machine. */
    static String describeMachine() {
        String cpu = "unknown CPU";
        try {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse(cpu);
        } catch (IOException e) {
            // not Linux: the CPU stays unknown
        }
        return cpu + ", " + Runtime.getRuntime().availableProcessors() + " cores, " + System.getProperty("os.name")
                + " " + System.getProperty("os.version") + ", Java " + System.getProperty("java.version");
    }
}
