package io.vchan.bridge.xensim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vchan.bridge.testing.TestEnvironment;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * xensim's own semantics, checked in C through Xen's public API
 * (src/test/c/xensim-selftest.c): one dynamic test per check of the program,
 * each run as {@code xensim-selftest NAME} on a simulated host of its own.
 */
class XensimSelftestTest {

    private static final Duration LIST_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration CHECK_TIMEOUT = Duration.ofSeconds(120);

    @TestFactory
    Stream<DynamicTest> xensimSelftest() {
        Run list = run(List.of("--list"), LIST_TIMEOUT);
        assertEquals(0, list.status, () -> "xensim-selftest --list failed:\n" + list.output);
        List<String> names = list.output.lines().map(String::strip).filter(s -> !s.isEmpty()).toList();
        assertFalse(names.isEmpty(), "xensim-selftest --list named no checks");
        return names.stream().map(name -> DynamicTest.dynamicTest(name, () -> {
            Run check = run(List.of(name), CHECK_TIMEOUT);
            System.out.print(check.output); // "# ..." notes, e.g. kill-to-notify times
            assertEquals(0, check.status, () -> "xensim-selftest " + name + " exited with "
                    + check.status + ":\n" + check.output);
            assertTrue(check.output.lines().anyMatch(line -> line.equals("ok " + name)),
                    () -> "xensim-selftest " + name + " did not report ok:\n" + check.output);
        }));
    }

    private record Run(int status, String output) {
    }

    /** Runs the program with xensim's libraries first; fails the test if it does not exit in time. */
    private static Run run(List<String> args, Duration timeout) {
        Path binary = TestEnvironment.testProgram("xensim-selftest");
        assertTrue(Files.isExecutable(binary), () -> binary + " is missing; run the Maven build");
        List<String> command = new ArrayList<>();
        command.add(binary.toString());
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        Map<String, String> env = builder.environment();
        env.put("LD_LIBRARY_PATH", TestEnvironment.xensimLibDir().toString());
        env.put("XENSIM_LINGER_MS", "200");
        env.remove("XENSIM_DIR"); // every check makes its own
        env.remove("XENSIM_DOMID");
        builder.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + binary, e);
        }
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        Thread drain = new Thread(() -> copy(process.getInputStream(), output), "xensim-selftest-output");
        drain.setDaemon(true);
        drain.start();
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
                drain.join(TimeUnit.SECONDS.toMillis(5));
                throw new AssertionError("xensim-selftest " + String.join(" ", args) + " did not exit within "
                        + timeout + "; its output:\n" + text(output));
            }
            drain.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
        return new Run(process.exitValue(), text(output));
    }

    private static void copy(InputStream in, ByteArrayOutputStream out) {
        byte[] buf = new byte[8192];
        try (in) {
            for (int n; (n = in.read(buf)) > 0; ) {
                synchronized (out) {
                    out.write(buf, 0, n);
                }
            }
        } catch (IOException ignored) {
            // the process went away: what we have is what it said
        }
    }

    private static String text(ByteArrayOutputStream out) {
        synchronized (out) {
            return out.toString(StandardCharsets.UTF_8);
        }
    }
}
