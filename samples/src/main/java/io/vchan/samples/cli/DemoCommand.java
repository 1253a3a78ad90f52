package io.vchan.samples.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code vchan demo}: a server domain and a client domain, two processes on a
 * fresh xensim host, stream random data both ways through connector Flows and
 * compare SHA-256 checksums.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Two domains on a fresh xensim host stream data both ways through Pekko Flows.")
final class DemoCommand implements Callable<Integer> {

    @Option(names = "--mib", defaultValue = "256", description = "MiB each way (default ${DEFAULT-VALUE}).")
    long mib;

    @Override
    public Integer call() throws Exception {
        Path host = Files.createTempDirectory("xensim-demo");
        try {
            long bytes = mib << 20;
            System.out.println("xensim host " + host + ": dom0 serves port 'demo' for dom1, " + mib
                    + " MiB each way through Pekko Flows, 1 MiB rings");
            Process server = peer(host, 0, "server", 1, bytes, 1);
            Process client = peer(host, 1, "client", 0, bytes, 2);
            List<String> serverOut = lines(server);
            List<String> clientOut = lines(client);
            int serverExit = exit(server);
            int clientExit = exit(client);
            serverOut.forEach(l -> System.out.println("  server (dom0): " + l));
            clientOut.forEach(l -> System.out.println("  client (dom1): " + l));
            if (serverExit != 0 || clientExit != 0) {
                System.err.println("vchan demo: a peer failed (server " + serverExit + ", client " + clientExit
                        + ")");
                return ExitCodes.FAILED;
            }
            boolean match = value(serverOut, "sent").equals(value(clientOut, "received"))
                    && value(clientOut, "sent").equals(value(serverOut, "received"));
            long ms = Math.max(1, Long.parseLong(value(clientOut, "elapsed_ms=")));
            if (!match) {
                System.err.println("vchan demo: checksums DIFFER");
                return ExitCodes.FAILED;
            }
            System.out.printf("checksums match: %d MiB moved in %d ms (%d MiB/s both ways together,"
                    + " SHA-256 included)%n", 2 * mib, ms, 2 * mib * 1000 / ms);
            return ExitCodes.OK;
        } finally {
            try (Stream<Path> files = Files.walk(host)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static Process peer(Path host, int domain, String role, int peer, long bytes, long seed)
            throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path")));
        String libdir = System.getProperty("vchan.xensim.libdir");
        if (libdir != null) {
            command.add("-Dvchan.xensim.libdir=" + libdir);
        }
        command.addAll(List.of(VchanCli.class.getName(), "demo-peer", "--role", role,
                "--peer", Integer.toString(peer), "--bytes", Long.toString(bytes), "--seed", Long.toString(seed)));
        ProcessBuilder builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
        Map<String, String> env = builder.environment();
        env.put("XENSIM_DIR", host.toString());
        env.put("XENSIM_DOMID", Integer.toString(domain));
        return builder.start();
    }

    private static List<String> lines(Process p) throws IOException {
        List<String> out = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
                StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                out.add(line);
            }
        }
        return out;
    }

    private static int exit(Process p) throws InterruptedException {
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            return ExitCodes.FAILED;
        }
        return p.exitValue();
    }

    /** The rest of the first line starting with {@code prefix} (the checksum for sent/received). */
    private static String value(List<String> lines, String prefix) {
        return lines.stream().filter(l -> l.startsWith(prefix)).findFirst()
                .map(l -> l.contains("sha256=") ? l.substring(l.indexOf(' ') + 1) : l.substring(prefix.length()))
                .orElse("(none)");
    }
}
