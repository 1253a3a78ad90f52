package io.vchan.samples.cli.bench;

import java.time.Duration;
import java.util.concurrent.Callable;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * One side of a {@code vchan bench} run, in a process (a domain) of its own.
 * Receivers print {@code window bytes=B ns=T}, bulk peers {@code cpu ns=C}; ping-pong clients print
 * {@code rtt_ns count=N p50=.. p99=.. p999=.. max=..}; scale peers print
 * {@code scale ...}. The TCP server prints {@code listening port=P} first.
 */
@Command(name = "bench-peer", hidden = true, description = "One side of a vchan bench run.")
public final class BenchPeerCommand implements Callable<Integer> {

    @Option(names = "--impl", required = true, description = "flow, raw, tcp or scale") String impl;
    @Option(names = "--role", required = true, description = "server or client") String role;
    @Option(names = "--peer", defaultValue = "0", description = "the other domain") int peer;
    @Option(names = "--pingpong", description = "ping-pong rather than bulk") boolean pingpong;
    @Option(names = "--size", defaultValue = "65536", description = "element, chunk or ping size") int size;
    @Option(names = "--bytes", defaultValue = "0", description = "timed bytes per sending direction") long bytes;
    @Option(names = "--warmup", defaultValue = "0", description = "untimed bytes sent first") long warmup;
    @Option(names = "--both", description = "both ends send") boolean both;
    @Option(names = "--trips", defaultValue = "0") long trips;
    @Option(names = "--warmup-trips", defaultValue = "1") long warmupTrips;
    @Option(names = "--channels", defaultValue = "1") int channels;
    @Option(names = "--ring-size", defaultValue = "1048576") int ringSize;
    @Option(names = "--tcp-port", defaultValue = "0") int tcpPort;
    @Option(names = "--timeout-s", defaultValue = "120") long timeoutSeconds;

    @Override
    public Integer call() throws Exception {
        switch (impl) {
            case "flow" -> FlowPeer.run(this);
            case "raw" -> RawPeer.run(this);
            case "tcp" -> TcpPeer.run(this);
            case "scale" -> ScalePeer.run(this);
            default -> throw new IllegalArgumentException("unknown --impl " + impl);
        }
        System.out.flush();
        return 0;
    }

    boolean server() {
        return role.equals("server");
    }

    boolean sends() {
        return server() || both;
    }

    /** Bytes this end sends (warm-up included). */
    long toSend() {
        return sends() ? warmup + bytes : 0;
    }

    /** What this end sends, opening {@code cpu} after the warm-up bytes. */
    Source<ByteString, NotUsed> load(CpuWindow cpu) {
        return sends() ? StreamLoad.bulk(warmup, bytes, size, cpu) : StreamLoad.bulk(0, size);
    }

    /** Bytes this end receives (warm-up included). */
    long toReceive() {
        return !server() || both ? warmup + bytes : 0;
    }

    Duration timeout() {
        return Duration.ofSeconds(timeoutSeconds);
    }
}
