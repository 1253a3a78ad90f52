package io.vchan.samples.cli;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.util.ByteString;

/**
 * {@code --progress}: one live line on stderr with the bytes each way and
 * their rates, rewritten in place about four times a second; {@link #close}
 * prints it a last time and ends it with a newline. Off, it counts nothing.
 */
final class Progress implements AutoCloseable {

    private static final Duration EVERY = Duration.ofMillis(250);

    private final PrintStream err; // null: off
    private final AtomicLong toVchan = new AtomicLong();
    private final AtomicLong fromVchan = new AtomicLong();
    private final long started = System.nanoTime();
    private final Cancellable ticks;
    private int lastLength;
    private boolean closed;

    private Progress(ActorSystem<?> system, PrintStream err) {
        this.err = err;
        this.ticks = err == null ? null
                : system.scheduler().scheduleAtFixedRate(EVERY, EVERY, () -> print(false), system.executionContext());
    }

    /** Shows progress on stderr if {@code enabled}; otherwise counts and prints nothing. */
    static Progress start(boolean enabled, ActorSystem<?> system) {
        return new Progress(system, enabled ? System.err : null);
    }

    /** Counts what goes into the vchan. */
    Flow<ByteString, ByteString, NotUsed> toVchan() {
        return counting(toVchan);
    }

    /** Counts what comes out of the vchan. */
    Flow<ByteString, ByteString, NotUsed> fromVchan() {
        return counting(fromVchan);
    }

    private Flow<ByteString, ByteString, NotUsed> counting(AtomicLong counter) {
        if (err == null) {
            return Flow.create();
        }
        return Flow.of(ByteString.class).map(b -> {
            counter.addAndGet(b.size());
            return b;
        });
    }

    /** Exact byte counts (a test reads them) and rates averaged since the start. */
    String line() {
        double seconds = Math.max(1e-9, (System.nanoTime() - started) / 1e9);
        long out = toVchan.get();
        long in = fromVchan.get();
        return String.format(Locale.ROOT, "to vchan %d B (%s), from vchan %d B (%s), %.1f s",
                out, rate(out / seconds), in, rate(in / seconds), seconds);
    }

    private static String rate(double bytesPerSecond) {
        return bytesPerSecond >= 1 << 20
                ? String.format(Locale.ROOT, "%.1f MiB/s", bytesPerSecond / (1 << 20))
                : String.format(Locale.ROOT, "%.1f KiB/s", bytesPerSecond / 1024);
    }

    /** Carriage return and padding: the line overwrites itself on a terminal. */
    private synchronized void print(boolean last) {
        if (closed || err == null) {
            return;
        }
        String line = line();
        String pad = " ".repeat(Math.max(0, lastLength - line.length()));
        lastLength = line.length();
        err.print("\r" + line + pad + (last ? "\n" : ""));
        err.flush();
        closed = last;
    }

    /** The last line, ended; idempotent, so that every way out can call it. */
    @Override
    public void close() {
        if (ticks != null) {
            ticks.cancel();
        }
        print(true);
    }
}
