package io.vchan.connector;

import io.vchan.bridge.testing.TestEnvironment;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Debian's libxenvchan test driver ({@code vchan-driver}) as another domain of
 * this JVM's xensim host: same {@code XENSIM_DIR}, unlike native-bridge's
 * {@code SimulatedHost}, which always makes a fresh host.
 */
final class ThisHostDriver {

    private final Process process;
    private final Path output;

    private ThisHostDriver(Process process, Path output) {
        this.process = process;
        this.output = output;
    }

    static ThisHostDriver start(int domain, List<String> args) throws IOException {
        String dir = System.getenv("XENSIM_DIR");
        if (dir == null || dir.isBlank()) {
            throw new IllegalStateException("XENSIM_DIR is not set; run the tests through Maven");
        }
        List<String> command = new ArrayList<>();
        command.add(TestEnvironment.testProgram("vchan-driver").toString());
        command.addAll(args);
        Path output = Files.createTempFile("vchan-driver", ".out");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile());
        Map<String, String> env = builder.environment();
        env.put("XENSIM_DIR", dir);
        env.put("XENSIM_DOMID", Integer.toString(domain));
        env.put("XENSIM_LINGER_MS", "200");
        env.put("LD_LIBRARY_PATH", TestEnvironment.xensimLibDir() + File.pathSeparator
                + TestEnvironment.debianLibDir());
        return new ThisHostDriver(builder.start(), output);
    }

    /** Waits for a 0 exit and returns what the driver printed; fails with its output otherwise. */
    List<String> awaitSuccess(Duration timeout) throws IOException, InterruptedException {
        try {
            boolean exited = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            List<String> lines = Files.readAllLines(output);
            if (!exited) {
                throw new AssertionError("vchan-driver did not exit within " + timeout + "; said " + lines);
            }
            if (process.exitValue() != 0) {
                throw new AssertionError("vchan-driver exited with " + process.exitValue() + "; said " + lines);
            }
            return lines;
        } finally {
            process.destroyForcibly();
            Files.deleteIfExists(output);
        }
    }

    /** The value of the first line {@code <prefix> N sha256=H}, as "N sha256=H". */
    static Optional<String> report(List<String> lines, String prefix) {
        return lines.stream().filter(l -> l.startsWith(prefix + " ")).map(l -> l.substring(prefix.length() + 1))
                .findFirst();
    }
}
