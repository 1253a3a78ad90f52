package io.vchan.samples.cli.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/** Runs one measurement after another, reporting each on stderr and keeping failures (the bench goes on). */
final class Progress {

    interface Measurement {
        double run() throws Exception;
    }

    private final PrintStream err;
    private String round = "";
    final List<String> failures = new ArrayList<>();

    Progress(PrintStream err) {
        this.err = err;
    }

    void round(String label) {
        round = label;
        err.println(label);
    }

    void run(String what, String unit, Measurement m) {
        long start = System.nanoTime();
        try {
            double v = m.run();
            err.printf("  %-44s %10.1f %-5s (%.1f s)%n", what, v, unit, (System.nanoTime() - start) / 1e9);
        } catch (Exception e) {
            String message = e.getMessage() == null ? e.toString() : e.getMessage();
            failures.add(round + ": " + what + ": " + message);
            err.println("  " + what + ": FAILED: " + message);
        }
    }
}
