package io.vchan.samples.xenvm;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Real Xen 4.17 in QEMU (TCG): the hypervisor, a PV dom0 that sees this host's
 * root read-only and {@link #work()} read-write, and an agent in dom0 that runs
 * the shell commands {@link #dom0} sends. Guests are started from those
 * commands ({@code xenvm.sh}). Closing powers the machine off and, if it does
 * not go within a few seconds, kills QEMU: no process outlives the harness.
 */
public final class XenVm implements AutoCloseable {

    private static final Duration BOOT_TIMEOUT = Duration.ofSeconds(120);


    private final Path work;
    private final Process qemu;
    private final SocketChannel control;
    private final Map<Integer, CompletableFuture<Integer>> pending = new ConcurrentHashMap<>();
    private final AtomicInteger ids = new AtomicInteger();
    private final Thread reader;
    private final Thread killer;
    private XenVm(Path work, Process qemu, SocketChannel control) {
        this.work = work;
        this.qemu = qemu;
        this.control = control;
        this.killer = new Thread(qemu::destroyForcibly, "xenvm-kill-qemu");
        Runtime.getRuntime().addShutdownHook(killer);
        this.reader = new Thread(this::readReplies, "xenvm-control");
        reader.setDaemon(true);
        reader.start();
    }

    /** Boots a fresh machine with its own work folder under {@code XenImages.root()}. */
    public static XenVm boot(String name) throws IOException, InterruptedException {
        XenImages images = XenImages.get();
        Path work = images.root().resolve("run-" + name);
        deleteTree(work);
        Files.createDirectories(work.resolve("cmd"));
        Files.writeString(work.resolve("xen-root"), images.xenRoot().toString());
        Path socket = work.resolve("ctl.sock");
        // boot.sh execs QEMU: this process is QEMU, and destroying it leaves nothing behind
        ProcessBuilder qemuProcess = new ProcessBuilder("bash", images.bootScript().toString(), work.toString());
        String cpu = System.getProperty("xenvm.cpu");
        if (cpu != null) {
            qemuProcess.environment().put("XENVM_CPU", cpu);
        }
        long start = System.nanoTime();
        Process qemu = qemuProcess
                .redirectErrorStream(true)
                .redirectOutput(work.resolve("qemu.log").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .start();
        try {
            SocketChannel control = connect(socket, qemu, start);
            XenVm vm = new XenVm(work, qemu, control);
            vm.awaitReady(start);
            vm.bootMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            return vm;
        } catch (IOException | RuntimeException | InterruptedException e) {
            qemu.destroyForcibly();
            throw e;
        }
    }

    private final CompletableFuture<Void> ready = new CompletableFuture<>();
    private volatile long bootMillis;

    /** QEMU start to dom0's agent ready. */
    public long bootMillis() {
        return bootMillis;
    }

    /** QEMU runs and dom0's agent still answers. */
    public boolean isAlive() {
        return qemu.isAlive() && reader.isAlive();
    }

    public Path work() {
        return work;
    }

    private static SocketChannel connect(Path socket, Process qemu, long start)
            throws IOException, InterruptedException {
        // QEMU creates the socket, then waits for us (wait=on) before it starts the machine.
        long deadline = start + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            if (Files.exists(socket)) {
                SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
                try {
                    ch.connect(UnixDomainSocketAddress.of(socket));
                    return ch;
                } catch (IOException e) {
                    ch.close();
                }
            }
            if (!qemu.isAlive()) {
                throw new IOException("QEMU exited with " + qemu.exitValue() + " before its control socket was up");
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("QEMU's control socket did not appear in 30 s");
            }
            qemu.waitFor(20, TimeUnit.MILLISECONDS);
        }
    }

    private void awaitReady(long start) throws IOException, InterruptedException {
        try {
            ready.get(BOOT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new IOException("dom0 was not ready within " + BOOT_TIMEOUT + "; serial log:\n" + serialTail());
        } catch (ExecutionException e) {
            throw new IOException("dom0 did not come up: " + e.getCause().getMessage() + "; serial log:\n"
                    + serialTail(), e.getCause());
        }
    }

    private void readReplies() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(
                Channels.newInputStream(control), StandardCharsets.US_ASCII))) {
            String line;
            while ((line = in.readLine()) != null) {
                String[] f = line.trim().split(" ");
                if (f[0].equals("ready")) {
                    ready.complete(null);
                } else if (f[0].equals("done") && f.length == 3) {
                    CompletableFuture<Integer> done = pending.remove(Integer.parseInt(f[1]));
                    if (done != null) {
                        done.complete(Integer.parseInt(f[2]));
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // the machine went away: fail whoever waits
        }
        IOException gone = new IOException("dom0's control port closed (QEMU "
                + (qemu.isAlive() ? "alive" : "exited") + ")");
        ready.completeExceptionally(gone);
        pending.values().forEach(f -> f.completeExceptionally(gone));
    }

    /**
     * Runs a bash script in dom0 (with {@code xenvm.sh} sourced) and waits for
     * it; on timeout its process group is killed and the call fails.
     */
    public Dom0Result dom0(String script, Duration timeout) throws IOException, InterruptedException {
        int id = ids.incrementAndGet();
        Path file = work.resolve("cmd").resolve(id + ".sh");
        Files.writeString(file, "set -o pipefail\nsource " + XenImages.get().helpers() + "\n" + script + "\n");
        CompletableFuture<Integer> done = new CompletableFuture<>();
        pending.put(id, done);
        send("run " + id);
        long start = System.nanoTime();
        try {
            int status = done.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return new Dom0Result(status, Files.readString(work.resolve("cmd").resolve(id + ".out")),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        } catch (TimeoutException e) {
            send("kill " + id);
            pending.remove(id);
            throw new IOException("dom0 command " + id + " did not end within " + timeout + "; it printed:\n"
                    + Files.readString(work.resolve("cmd").resolve(id + ".out")));
        } catch (ExecutionException e) {
            throw new IOException("dom0 command " + id + ": " + e.getCause().getMessage(), e.getCause());
        }
    }

    private synchronized void send(String line) throws IOException {
        control.write(StandardCharsets.US_ASCII.encode(line + "\n"));
    }

    /** The last lines of Xen's and dom0's serial console. */
    public String serialTail() {
        try {
            List<String> lines = Files.readAllLines(work.resolve("serial.log"), StandardCharsets.ISO_8859_1);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no serial log: " + e.getMessage() + ")";
        }
    }

    public String guestConsole(String name) throws IOException {
        Path log = work.resolve("consoles").resolve("guest-" + name + ".log");
        return Files.exists(log) ? Files.readString(log, StandardCharsets.ISO_8859_1).replace("\r", "") : "";
    }

    @Override
    public void close() throws IOException, InterruptedException {
        try {
            if (qemu.isAlive()) {
                try {
                    send("poweroff 0");
                } catch (IOException e) {
                    // already gone: destroy below
                }
                if (!qemu.waitFor(15, TimeUnit.SECONDS)) {
                    qemu.destroyForcibly();
                    qemu.waitFor(10, TimeUnit.SECONDS);
                }
            }
        } finally {
            control.close();
            try {
                Runtime.getRuntime().removeShutdownHook(killer);
            } catch (IllegalStateException e) {
                // the JVM is exiting: the hook runs anyway
            }
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** What a dom0 command did. */
    public record Dom0Result(int status, String output, long millis) {
    }
}
