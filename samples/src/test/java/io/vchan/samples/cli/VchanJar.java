package io.vchan.samples.cli;

import io.vchan.bridge.testing.PeerProcess;
import io.vchan.bridge.testing.SimulatedHost;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Runs the packaged {@code vchan.jar} as a domain of a simulated host, the way a person would. */
final class VchanJar {

    private VchanJar() {
    }

    static PeerProcess start(SimulatedHost host, int domain, boolean collectStdout, String... args) {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:+UseSerialGC", "-jar", System.getProperty("vchan.jar")));
        command.addAll(List.of(args));
        return host.start("vchan-" + args[0] + "-dom" + domain, domain, command, collectStdout, false, Map.of());
    }
}
