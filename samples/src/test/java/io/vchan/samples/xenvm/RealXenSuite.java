package io.vchan.samples.xenvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A test class of the real-Xen suite: each test a scenario of dom0 commands on
 * the machine all classes share ({@link SharedMachine}). After each test no
 * JVM may have left a new crash report, in dom0 or in a guest.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(SharedMachine.class)
abstract class RealXenSuite {

    XenVm vm;
    /** Crash reports already in the machine's work folder when this class began, or found since. */
    private final Set<Path> knownReports = new HashSet<>();

    @BeforeAll
    void machine(XenVm shared) throws IOException {
        vm = shared;
        knownReports.addAll(crashReports());
    }

    @AfterEach
    void noJvmCrashed(TestInfo test) throws IOException {
        List<Path> reports = crashReports().stream().filter(knownReports::add).toList();
        if (!reports.isEmpty()) {
            fail(test.getDisplayName() + ": a JVM in dom0 crashed: " + reports + "\n"
                    + Files.readString(reports.get(0)).lines().limit(30).reduce("", (a, b) -> a + b + "\n"));
        }
    }

    private List<Path> crashReports() throws IOException {
        try (Stream<Path> files = Files.list(vm.work())) {
            return files.filter(p -> p.getFileName().toString().startsWith("hs_err")).sorted().toList();
        }
    }

    /** Runs a scenario's dom0 script, prints its wall time, and fails with its output if it failed. */
    String scenario(String name, Duration timeout, String script) throws IOException, InterruptedException {
        String preamble = "export XENVM_JAVA_HOME=" + System.getProperty("java.home") + "\n";
        XenVm.Dom0Result r = vm.dom0(preamble + script, timeout);
        System.out.printf("[xenvm] scenario %-60s %6d ms  status %d%n", name, r.millis(), r.status());
        if (r.status() != 0) {
            fail(name + ": dom0 script exited " + r.status() + "; it printed:\n" + r.output());
        }
        if (r.output().contains("A fatal error has been detected by the Java Runtime")) {
            fail(name + ": a JVM in a guest crashed:\n" + r.output());
        }
        return r.output();
    }

    /**
     * Run {@code r} ({@code "rI "}) ended with 0 on both sides, and each side's digest of what it
     * received equals the other's of what it sent; the labels name those lines.
     */
    static void assertRunBothWays(String out, String r, String dom0Sent, String guestReceived, String guestSent,
            String dom0Received) {
        assertEquals("0", line(out, "dom0: " + r + "exit"), out);
        assertEquals("0", line(out, "guest: " + r + "exit"), out);
        assertEquals(line(out, "dom0: " + r + dom0Sent), line(out, "guest: " + r + guestReceived),
                r + "dom0 -> guest bytes\n" + out);
        assertEquals(line(out, "guest: " + r + guestSent), line(out, "dom0: " + r + dom0Received),
                r + "guest -> dom0 bytes\n" + out);
    }

    /** Where {@code c} was loaded from (a jar or a classes folder), for a classpath in dom0 or a guest. */
    static String codeSource(Class<?> c) {
        try {
            return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The one line of {@code output} that starts with {@code prefix}, without it. */
    static String line(String output, String prefix) {
        List<String> found = output.lines().filter(l -> l.startsWith(prefix)).toList();
        assertEquals(1, found.size(), () -> "one line starting '" + prefix + "' expected in:\n" + output);
        return found.get(0).substring(prefix.length()).trim();
    }
}
