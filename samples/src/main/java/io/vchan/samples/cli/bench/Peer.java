package io.vchan.samples.cli.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A peer process of one run: its stdout and stderr lines, collected as they come. */
final class Peer implements AutoCloseable {

    private final String name;
    private final Process process;
    private final List<String> out = new ArrayList<>();
    private final List<String> err = new ArrayList<>();
    private final List<Thread> readers = new ArrayList<>();
    private int readersDone;

    Peer(String name, ProcessBuilder builder) throws IOException {
        this.name = name;
        this.process = builder.start();
        collect(process.getInputStream(), out);
        collect(process.getErrorStream(), err);
    }

    private void collect(InputStream in, List<String> into) {
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    synchronized (this) {
                        into.add(line);
                        notifyAll();
                    }
                }
            } catch (IOException ignored) {
                // the process is gone
            } finally {
                synchronized (this) {
                    readersDone++;
                    notifyAll();
                }
            }
        }, "bench-" + name);
        t.setDaemon(true);
        readers.add(t);
        t.start();
    }

    /** The first stdout line starting with {@code prefix}, waiting up to {@code timeout}. */
    synchronized String awaitLine(String prefix, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            for (String line : out) {
                if (line.startsWith(prefix)) {
                    return line;
                }
            }
            long left = deadline - System.nanoTime();
            if (left <= 0 || readersDone == readers.size()) {
                throw new BenchException(name + " printed no '" + prefix + "'" + reason());
            }
            wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
        }
    }

    /** Waits for a clean exit; its stdout lines. */
    List<String> finish(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new BenchException(name + " did not finish within " + timeout.toSeconds() + " s" + reason());
        }
        for (Thread t : readers) {
            t.join(2000);
        }
        synchronized (this) {
            if (process.exitValue() != 0) {
                throw new BenchException(name + " exited with " + process.exitValue() + reason());
            }
            return List.copyOf(out);
        }
    }

    private synchronized String reason() {
        return err.isEmpty() ? "" : ": " + String.join(" | ", err.subList(Math.max(0, err.size() - 3), err.size()));
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
        }
    }
}
