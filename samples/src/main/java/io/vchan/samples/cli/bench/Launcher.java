package io.vchan.samples.cli.bench;

import io.vchan.samples.cli.VchanCli;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Starts the peers of the runs: each run on a fresh xensim host (its own
 * {@code XENSIM_DIR} under one temporary root), each peer a domain of it.
 * Java peers are this JVM's class path with {@code bench-peer}; the C peer is
 * {@code vchan-driver} over Debian's libxenvchan, xensim first on its library path.
 */
final class Launcher implements AutoCloseable {

    private final Path root;
    private final List<String> jvmOptions;
    private final Path xensimLibDir;
    private final Path xenLibDir;
    private final Path cDriver;
    private int hosts;

    Launcher(List<String> jvmOptions, Path xensimLibDir, Path xenLibDir, Path cDriver) throws IOException {
        // short: the xensim daemon's socket path must fit in sun_path
        this.root = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "vb");
        this.jvmOptions = jvmOptions;
        this.xensimLibDir = xensimLibDir;
        this.xenLibDir = xenLibDir;
        this.cDriver = cDriver;
    }

    /** Why the C driver cannot run here, or null when it can. */
    String cDriverMissing() {
        if (!Files.isExecutable(cDriver)) {
            return "no C driver at " + cDriver + " (--c-driver)";
        }
        if (!Files.isDirectory(xensimLibDir)) {
            return "no xensim libraries at " + xensimLibDir + " (--xensim-libdir)";
        }
        if (!Files.isDirectory(xenLibDir)) {
            return "no Debian libxenvchan at " + xenLibDir + " (--xen-libdir)";
        }
        return null;
    }

    Path freshHost() throws IOException {
        return Files.createDirectory(root.resolve("h" + ++hosts));
    }

    Peer java(Path host, int domain, String name, List<String> args) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path")));
        if (Files.isDirectory(xensimLibDir)) {
            command.add("-Dvchan.xensim.libdir=" + xensimLibDir.toAbsolutePath());
        }
        command.add(VchanCli.class.getName());
        command.add("bench-peer");
        command.addAll(args);
        return start(host, domain, name, command);
    }

    Peer c(Path host, int domain, String name, List<String> args) throws IOException {
        List<String> command = new ArrayList<>(List.of(cDriver.toAbsolutePath().toString()));
        command.addAll(args);
        return start(host, domain, name, command);
    }

    private Peer start(Path host, int domain, String name, List<String> command) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command);
        Map<String, String> env = builder.environment();
        env.put("XENSIM_DIR", host.toString());
        env.put("XENSIM_DOMID", Integer.toString(domain));
        env.put("XENSIM_LINGER_MS", "200");
        env.put("LD_LIBRARY_PATH", xensimLibDir.toAbsolutePath() + File.pathSeparator + xenLibDir.toAbsolutePath());
        return new Peer(name + "-dom" + domain, builder);
    }

    @Override
    public void close() throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
