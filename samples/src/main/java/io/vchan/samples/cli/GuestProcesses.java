package io.vchan.samples.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/** The walkthrough's guest agents: one {@code vchan guest-agent} process per guest domain on one xensim host. */
final class GuestProcesses implements AutoCloseable {

    private final Path host;
    private final Map<Integer, Process> running = new TreeMap<>();

    GuestProcesses(Path host) {
        this.host = host;
    }

    /** This program again, in a JVM of its own, on xensim whatever the machine. */
    static List<String> javaCommand() {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "-Dvchan.platform=xensim"));
        String libdir = System.getProperty("vchan.xensim.libdir");
        if (libdir != null) {
            command.add("-Dvchan.xensim.libdir=" + libdir);
        }
        return command;
    }

    /** Starts the agent of {@code domain}; its stdout is dropped, its stderr is ours. */
    long start(int domain) throws IOException {
        List<String> command = new ArrayList<>(javaCommand());
        command.addAll(List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", VchanCli.class.getName(),
                "guest-agent", "--manager-domain", "0"));
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        builder.environment().put("XENSIM_DIR", host.toString());
        builder.environment().put("XENSIM_DOMID", Integer.toString(domain));
        Process p = builder.start();
        running.put(domain, p);
        return p.pid();
    }

    /** SIGKILL, as a crashing guest: no goodbye on the channel. */
    long kill(int domain) throws InterruptedException {
        Process p = running.remove(domain);
        p.destroyForcibly();
        p.waitFor();
        return p.pid();
    }

    @Override
    public void close() throws InterruptedException {
        for (Process p : running.values()) {
            p.destroy();
        }
        for (Process p : running.values()) {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
        running.clear();
    }
}
