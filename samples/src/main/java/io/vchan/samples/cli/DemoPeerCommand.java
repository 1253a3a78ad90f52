package io.vchan.samples.cli;

import io.vchan.connector.DomainId;
import io.vchan.connector.Vchan;
import io.vchan.connector.VchanConnection;
import io.vchan.connector.VchanPort;
import io.vchan.connector.VchanSettings;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * One side of {@code vchan demo}, in a process (a domain) of its own: streams
 * seeded random bytes through a connector Flow while hashing what comes back,
 * and prints {@code connection …}, {@code sent N sha256=H},
 * {@code received N sha256=H} and {@code elapsed_ms=T} for the parent.
 */
@Command(name = "demo-peer", hidden = true, description = "One side of vchan demo.")
final class DemoPeerCommand implements Callable<Integer> {

    private static final int ELEMENT = 65536;

    @Option(names = "--role", required = true) String role;
    @Option(names = "--peer", required = true) int peer;
    @Option(names = "--port", defaultValue = "demo") String port;
    @Option(names = "--bytes", required = true) long bytes;
    @Option(names = "--seed", defaultValue = "1") long seed;
    @Option(names = "--ring-size", defaultValue = "1048576") int ringSize;
    /** Only the server sends: for one-way throughput figures. */
    @Option(names = "--one-way") boolean oneWay;
    /** Repeat one buffer and hash nothing: for throughput figures, where hashing would be measured. */
    @Option(names = "--no-verify") boolean noVerify;

    @Override
    public Integer call() throws Exception {
        ActorSystem<Void> system = CliSystem.create("vchan-demo-" + role);
        try {
            Vchan vchan = Vchan.get(system);
            VchanSettings settings = vchan.settings().withReadRingSize(ringSize).withWriteRingSize(ringSize)
                    .withHalfClose(true);
            boolean server = role.equals("server");
            Flow<ByteString, ByteString, CompletionStage<VchanConnection>> flow = server
                    ? vchan.server(DomainId.of(peer), VchanPort.of(port), settings)
                    : vchan.client(DomainId.of(peer), VchanPort.of(port), settings);
            MessageDigest sent = MessageDigest.getInstance("SHA-256");
            long toSend = oneWay && !server ? 0 : bytes;
            Source<ByteString, ?> source = noVerify ? sameBytes(toSend) : randomBytes(toSend, seed, sent);
            Pair<CompletionStage<VchanConnection>, CompletionStage<Pair<Long, MessageDigest>>> run =
                    source.viaMat(flow, Keep.right())
                            .toMat(noVerify ? counting() : hashing(), Keep.both())
                            .run(system);
            VchanConnection connection = run.first().toCompletableFuture().get();
            long start = System.nanoTime(); // from the connection: not the peer's JVM start-up
            System.out.println("connection " + connection);
            Pair<Long, MessageDigest> received = run.second().toCompletableFuture().get();
            long elapsedMs = (System.nanoTime() - start) / 1_000_000;
            connection.whenClosed().toCompletableFuture().get();
            System.out.println("sent " + toSend + " sha256=" + HexFormat.of().formatHex(sent.digest()));
            System.out.println("received " + received.first() + " sha256="
                    + HexFormat.of().formatHex(received.second().digest()));
            System.out.println("elapsed_ms=" + elapsedMs);
            System.out.println("notifications_in=" + connection.notificationsIn() + " ring_full_waits="
                    + connection.ringFullWaits());
            return ExitCodes.OK;
        } finally {
            system.terminate();
        }
    }

    /** {@code total} seeded random bytes in 64 KiB elements, hashed as they are made. */
    static Source<ByteString, ?> randomBytes(long total, long seed, MessageDigest sha) {
        SplittableRandom random = new SplittableRandom(seed);
        long elements = (total + ELEMENT - 1) / ELEMENT;
        return Source.range(1, (int) elements).map(i -> {
            int n = (int) Math.min(ELEMENT, total - (long) (i - 1) * ELEMENT);
            byte[] b = new byte[n];
            random.nextBytes(b);
            sha.update(b);
            return ByteString.fromArrayUnsafe(b);
        });
    }

    /** {@code total} bytes as one 64 KiB buffer repeated. */
    static Source<ByteString, ?> sameBytes(long total) {
        ByteString element = ByteString.fromArrayUnsafe(new byte[ELEMENT]);
        long whole = total / ELEMENT;
        Source<ByteString, ?> body = Source.repeat(element).take(whole);
        int rest = (int) (total % ELEMENT);
        return rest == 0 ? body : body.concat(Source.single(element.take(rest)));
    }

    /** Counts what arrives; the digest stays empty. */
    static Sink<ByteString, CompletionStage<Pair<Long, MessageDigest>>> counting() throws Exception {
        MessageDigest unused = MessageDigest.getInstance("SHA-256");
        return Sink.fold(Pair.create(0L, unused), (acc, bs) -> Pair.create(acc.first() + bs.size(), unused));
    }

    /** Counts and hashes what arrives. */
    static Sink<ByteString, CompletionStage<Pair<Long, MessageDigest>>> hashing() throws Exception {
        return Sink.fold(Pair.create(0L, MessageDigest.getInstance("SHA-256")), (acc, bs) -> {
            for (var buf : bs.getByteBuffers()) {
                acc.second().update(buf);
            }
            return Pair.create(acc.first() + bs.size(), acc.second());
        });
    }
}
