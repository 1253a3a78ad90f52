package io.vchan.bridge.testing;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * One fresh xensim host (its own {@code XENSIM_DIR}) on which a test starts
 * processes, each as a domain. Closing it kills what is still running and
 * removes the host's state.
 */
public final class SimulatedHost implements AutoCloseable {

    private final Path dir;
    /** False for the host this JVM runs on: its state is not ours to delete. */
    private final boolean owned;
    private final List<PeerProcess> processes = new ArrayList<>();

    public SimulatedHost() {
        try {
            // short: the daemon's socket path must fit in sun_path
            this.dir = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "xsim");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.owned = true;
    }

    private SimulatedHost(Path dir) {
        this.dir = dir;
        this.owned = false;
    }

    /**
     * The host this JVM's own xensim handles live on ({@code XENSIM_DIR}), so
     * that its processes and code in this JVM are peers. Closing it kills the
     * processes but leaves the host's state alone.
     */
    public static SimulatedHost sharedWithThisJvm() {
        String env = System.getenv("XENSIM_DIR");
        if (env == null || env.isBlank()) {
            throw new IllegalStateException("XENSIM_DIR is not set; run the tests through Maven (mvn verify)");
        }
        return new SimulatedHost(Path.of(env));
    }

    public Path dir() {
        return dir;
    }

    /** Debian's libxenvchan test driver as {@code domain}. */
    public PeerProcess libxenvchanDriver(int domain, List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(TestEnvironment.testProgram("vchan-driver").toString());
        command.addAll(args);
        return start("libxenvchan-" + args.get(0) + "-dom" + domain, domain, command, true, false, Map.of());
    }

    /** Our Java driver ({@code io.vchan.bridge.interop.JavaVchanDriver}) in its own JVM as {@code domain}. */
    public PeerProcess javaDriver(int domain, List<String> args) {
        return javaProcess("java-" + args.get(0) + "-dom" + domain, domain,
                "io.vchan.bridge.interop.JavaVchanDriver", args);
    }

    /** A main class from this JVM's class path, in a JVM of its own, as {@code domain}. */
    public PeerProcess javaProcess(String name, int domain, String mainClass, List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add("-Dvchan.xensim.libdir=" + TestEnvironment.xensimLibDir());
        command.add("-XX:+UseSerialGC");
        command.add("-XX:TieredStopAtLevel=1");
        command.add(mainClass);
        command.addAll(args);
        return start(name, domain, command, true, false, Map.of());
    }

    /**
     * Any program as {@code domain}, xensim's libraries first on its library
     * path and Debian's after them; {@code xenctrl} adds our libxenctrl stand-in.
     */
    public PeerProcess start(String name, int domain, List<String> command, boolean collectStdout,
            boolean xenctrl, Map<String, String> extraEnvironment) {
        ProcessBuilder builder = new ProcessBuilder(command);
        Map<String, String> env = builder.environment();
        env.putAll(extraEnvironment);
        env.put("XENSIM_DIR", dir.toString());
        env.put("XENSIM_DOMID", Integer.toString(domain));
        env.put("XENSIM_LINGER_MS", "200");
        String libraries = TestEnvironment.xensimLibDir() + File.pathSeparator + TestEnvironment.debianLibDir();
        if (xenctrl) {
            libraries = TestEnvironment.xensimXenctrlDir() + File.pathSeparator + libraries;
        }
        env.put("LD_LIBRARY_PATH", libraries);
        PeerProcess process = new PeerProcess(name, builder, collectStdout);
        synchronized (processes) {
            processes.add(process);
        }
        return process;
    }

    @Override
    public void close() throws InterruptedException {
        synchronized (processes) {
            for (PeerProcess p : processes) {
                p.close();
            }
        }
        if (!owned) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // the daemon may still be saving; the temp dir is left behind, nothing else
        }
    }
}
