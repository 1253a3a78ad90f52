package io.vchan.samples.cli.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One run of a server peer (dom0) and a client peer (dom1) on a fresh xensim
 * host: starts both (the TCP client once its server listens), waits for both
 * to exit cleanly, and gives their stdout lines.
 */
final class PairRun {

    static final String PATH = "/local/domain/0/data/vchan/1/bench";

    record Output(List<String> server, List<String> client) {
    }

    private PairRun() {
    }

    /** {@code args} are the bench-peer (or vchan-driver) arguments both sides share. */
    static Output run(Launcher launcher, Impl impl, List<String> serverArgs, List<String> clientArgs,
            Duration timeout) throws Exception {
        return run(launcher, impl, impl.peerImpl, serverArgs, clientArgs, timeout);
    }

    /** With another {@code bench-peer --impl} for the Java peers (scale). */
    static Output run(Launcher launcher, Impl impl, String peerImpl, List<String> serverArgs,
            List<String> clientArgs, Duration timeout) throws Exception {
        Path host = launcher.freshHost();
        String name = impl.name().toLowerCase();
        try (Peer server = start(launcher, impl, peerImpl, host, 0, name + "-server", serverArgs)) {
            List<String> client = new ArrayList<>(clientArgs);
            if (impl == Impl.TCP) {
                String listening = server.awaitLine("listening port=", timeout);
                client.addAll(List.of("--tcp-port", listening.substring("listening port=".length())));
            }
            try (Peer c = start(launcher, impl, peerImpl, host, 1, name + "-client", client)) {
                List<String> clientOut = c.finish(timeout);
                return new Output(server.finish(timeout), clientOut);
            }
        }
    }

    private static Peer start(Launcher launcher, Impl impl, String peerImpl, Path host, int domain, String name,
            List<String> args) throws Exception {
        if (impl == Impl.C) {
            List<String> a = new ArrayList<>(List.of(domain == 0 ? "server" : "client", "--peer",
                    Integer.toString(1 - domain), "--path", PATH));
            a.addAll(args);
            return launcher.c(host, domain, name, a);
        }
        List<String> a = new ArrayList<>(List.of("--impl", peerImpl, "--role", domain == 0 ? "server" : "client",
                "--peer", Integer.toString(1 - domain)));
        a.addAll(args);
        return launcher.java(host, domain, name, a);
    }

    /** The value of {@code key=} in the first line starting with {@code prefix}. */
    static long value(List<String> lines, String prefix, String key) {
        for (String line : lines) {
            if (line.startsWith(prefix)) {
                for (String word : line.split(" ")) {
                    if (word.startsWith(key + "=")) {
                        return Long.parseLong(word.substring(key.length() + 1));
                    }
                }
            }
        }
        throw new BenchException("no " + key + "= in '" + prefix + "' among " + lines);
    }

    /** MB/s (10^6 bytes per second) of a receiver's {@code window bytes=B ns=T} line. */
    static double windowMBps(List<String> lines) {
        long bytes = value(lines, "window ", "bytes");
        long ns = Math.max(1, value(lines, "window ", "ns"));
        return bytes * 1000.0 / ns;
    }
}
