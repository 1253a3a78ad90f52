package io.vchan.bridge.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A test peer in a process of its own. Its output lines are collected as they
 * come so a test can wait for one ({@link #awaitLine}) instead of sleeping.
 */
public final class PeerProcess implements AutoCloseable {

    private final String name;
    private final Process process;
    private final List<String> lines = new ArrayList<>();
    private final StringBuilder stderr = new StringBuilder();
    private final Thread stdoutReader;
    private final Thread stderrReader;
    private boolean stdoutEnded;

    PeerProcess(String name, ProcessBuilder builder, boolean collectStdout) {
        this.name = name;
        try {
            this.process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name, e);
        }
        this.stdoutReader = collectStdout ? reader(process.getInputStream(), this::addLine, "stdout") : null;
        this.stderrReader = reader(process.getErrorStream(), this::addStderr, "stderr");
    }

    private Thread reader(InputStream in, java.util.function.Consumer<String> sink, String what) {
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    sink.accept(line);
                }
            } catch (IOException ignored) {
                // the process went away; what we have is what it said
            } finally {
                if (what.equals("stdout")) {
                    markEnded();
                }
            }
        }, name + "-" + what);
        t.setDaemon(true);
        t.start();
        return t;
    }

    private synchronized void addLine(String line) {
        lines.add(line);
        notifyAll();
    }

    private synchronized void addStderr(String line) {
        stderr.append(line).append('\n');
    }

    private synchronized void markEnded() {
        stdoutEnded = true;
        notifyAll();
    }

    /** The first output line starting with {@code prefix}, waiting up to {@code timeout}. */
    public String awaitLine(String prefix, Duration timeout) throws InterruptedException {
        return awaitLine(prefix, 1, timeout);
    }

    /** The {@code nth} (from 1) output line starting with {@code prefix}, waiting up to {@code timeout}. */
    public synchronized String awaitLine(String prefix, int nth, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            int seen = 0;
            for (String line : lines) {
                if (line.startsWith(prefix) && ++seen == nth) {
                    return line;
                }
            }
            long left = deadline - System.nanoTime();
            if (stdoutEnded || left <= 0) {
                throw new AssertionError(name + ": no line " + nth + " starting with '" + prefix + "' "
                        + (stdoutEnded ? "before its output ended" : "within " + timeout) + "; " + describe());
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
    }

    /** Waits for the process to exit and returns its status; fails the test on timeout. */
    public int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(name + " did not exit within " + timeout + "; " + describe());
        }
        if (stdoutReader != null) {
            stdoutReader.join(timeout.toMillis());
        }
        stderrReader.join(timeout.toMillis());
        return process.exitValue();
    }

    /** Exits 0 within the timeout, or the test fails with what the process said. */
    public void assertSucceeds(Duration timeout) throws InterruptedException {
        int status = awaitExit(timeout);
        if (status != 0) {
            throw new AssertionError(name + " exited with " + status + "; " + describe());
        }
    }

    public OutputStream stdin() {
        return process.getOutputStream();
    }

    public InputStream stdout() {
        if (stdoutReader != null) {
            throw new IllegalStateException("stdout of " + name + " is collected as lines");
        }
        return process.getInputStream();
    }

    public long pid() {
        return process.pid();
    }

    /** SIGKILL: the process gets no chance to clean up. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    /**
     * SIGSTOP, returning once the kernel shows the process stopped: from then
     * on it does nothing at all until killed.
     */
    public void suspend(Duration timeout) throws IOException, InterruptedException {
        Process stop = new ProcessBuilder("kill", "-STOP", Long.toString(pid())).start();
        if (stop.waitFor() != 0) {
            throw new AssertionError("kill -STOP " + pid() + " failed; " + describe());
        }
        // the signal is only queued when kill returns: wait for state T in /proc/PID/stat
        Path stat = Path.of("/proc", Long.toString(pid()), "stat");
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new AssertionError(name + " exited instead of stopping; " + describe());
            }
            String s = Files.readString(stat);
            if (s.charAt(s.lastIndexOf(')') + 2) == 'T') {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(name + " did not stop within " + timeout + ": " + s);
            }
            Thread.onSpinWait();
        }
    }

    /** SIGCONT: a process {@link #suspend}ed goes on. */
    public void resume() throws IOException, InterruptedException {
        Process cont = new ProcessBuilder("kill", "-CONT", Long.toString(pid())).start();
        if (cont.waitFor() != 0) {
            throw new AssertionError("kill -CONT " + pid() + " failed; " + describe());
        }
    }

    public synchronized String stderrText() {
        return stderr.toString();
    }

    public synchronized List<String> lines() {
        return List.copyOf(lines);
    }

    public synchronized String describe() {
        return "stdout=" + lines + " stderr=" + stderr.toString().strip();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
    }
}
