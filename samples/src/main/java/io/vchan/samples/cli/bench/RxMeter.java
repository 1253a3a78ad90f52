package io.vchan.samples.cli.bench;

import java.util.concurrent.CompletableFuture;

/**
 * Counts what a receiver gets and times its measurement window: from the
 * moment the first {@code warmup} bytes are in to the last byte. Prints
 * {@code window bytes=B ns=T}, as the C driver does with {@code --warmup},
 * and opens the process's {@link CpuWindow} with its own window.
 * One thread adds at a time (a stream stage, or the one reading thread).
 */
final class RxMeter {

    private final long warmup;
    private final long expect;
    private final CpuWindow cpu;
    private final CompletableFuture<Void> all = new CompletableFuture<>();
    private long total;
    private long base;
    private long start;
    private long last;
    private boolean open;

    RxMeter(long warmup, long expect, CpuWindow cpu) {
        this.warmup = warmup;
        this.expect = expect;
        this.cpu = cpu;
        if (expect <= 0) {
            all.complete(null);
        }
    }

    void add(int n) {
        if (n <= 0) {
            return;
        }
        total += n;
        last = System.nanoTime();
        if (!open && total >= warmup) {
            open = true;
            start = last;
            base = total;
            cpu.open();
        }
        if (total >= expect) {
            all.complete(null);
        }
    }

    long total() {
        return total;
    }

    /** Completes once everything expected has arrived. */
    CompletableFuture<Void> all() {
        return all;
    }

    String line() {
        return "window bytes=" + (total - base) + " ns=" + (last - start);
    }
}
