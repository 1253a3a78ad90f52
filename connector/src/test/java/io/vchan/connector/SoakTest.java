package io.vchan.connector;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.NotUsed;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

/**
 * Integrity under irregular load, both ways at once through connector flows
 * over xensim: random element sizes, downstream demand that stalls at random,
 * SHA-256 on both sides; nothing lost, duplicated or reordered. CI moves
 * 256 MiB each way; {@code -Dvchan.soak.mib=4096} for the long run.
 */
class SoakTest extends VchanTestSupport {

    private static final long BYTES = Long.getLong("vchan.soak.mib", 256) << 20;
    private static final long SEED = Long.getLong("vchan.soak.seed", 20261125L);

    @Override
    TestPlatform platform() {
        return TestPlatform.XENSIM;
    }

    @Test
    void randomSizesAndStallsBothWaysLoseNothing() throws Exception {
        System.out.println("soak: " + (BYTES >> 20) + " MiB each way, seed " + SEED);
        VchanPort port = freshPort();
        Digest serverSent = new Digest();
        Digest serverGot = new Digest();
        CompletableFuture<Long> serverReceived = new CompletableFuture<>();
        Flow<ByteString, ByteString, NotUsed> serverSide = Flow.fromSinkAndSource(
                stalling(SEED + 1).toMat(serverGot.sink(), Keep.right())
                        .mapMaterializedValue(n -> n.whenComplete((v, e) -> complete(serverReceived, v, e))),
                randomElements(BYTES, SEED + 2, serverSent));
        CompletionStage<VchanConnection> server = vchan.server(CLIENT, port, serverSettings())
                .joinMat(serverSide, Keep.left()).run(mat);

        Digest clientSent = new Digest();
        Digest clientGot = new Digest();
        Pair<CompletionStage<VchanConnection>, CompletionStage<Long>> client = randomElements(BYTES, SEED + 3,
                        clientSent)
                .viaMat(vchan.client(SERVER, port, clientSettings()), Keep.right())
                .via(stalling(SEED + 4))
                .toMat(clientGot.sink(), Keep.both())
                .run(mat);

        assertEquals(BYTES, awaitTransfer(client.second()), "bytes the client received");
        assertEquals(BYTES, awaitTransfer(serverReceived), "bytes the server received");
        assertEquals(serverSent.hex(), clientGot.hex(), "server to client");
        assertEquals(clientSent.hex(), serverGot.hex(), "client to server");
        await(await(server).whenClosed());
        await(await(client.first()).whenClosed());
    }

    /** The usual timeout plus a second per 32 MiB: generating and hashing, not the channel, set the pace. */
    private static <T> T awaitTransfer(CompletionStage<T> stage) throws Exception {
        long millis = TIMEOUT.toMillis() + (BYTES >> 25) * 1000;
        return stage.toCompletableFuture().get(millis, TimeUnit.MILLISECONDS);
    }

    private static void complete(CompletableFuture<Long> f, Long v, Throwable e) {
        if (e != null) {
            f.completeExceptionally(e);
        } else {
            f.complete(v);
        }
    }

    /** {@code total} random bytes in elements of 1 byte to 200 KiB, hashed as made. */
    private static Source<ByteString, NotUsed> randomElements(long total, long seed, Digest sent) {
        SplittableRandom random = new SplittableRandom(seed);
        long[] left = {total};
        return Source.repeat(NotUsed.notUsed()).takeWhile(x -> left[0] > 0).map(x -> {
            int n = (int) Math.min(left[0], 1 + random.nextInt(200 * 1024));
            byte[] b = new byte[n];
            random.nextBytes(b);
            left[0] -= n;
            sent.update(b);
            return ByteString.fromArrayUnsafe(b);
        });
    }

    /** Passes elements on, now and then holding demand back for up to 3 ms. */
    private static Flow<ByteString, ByteString, NotUsed> stalling(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        return Flow.of(ByteString.class).mapAsync(1, b -> random.nextInt(64) != 0
                ? CompletableFuture.completedFuture(b)
                : CompletableFuture.supplyAsync(() -> b,
                        CompletableFuture.delayedExecutor(random.nextInt(3001), TimeUnit.MICROSECONDS)));
    }

    /** SHA-256 and a byte count of a stream. */
    private static final class Digest {
        private final MessageDigest sha;

        Digest() {
            try {
                sha = MessageDigest.getInstance("SHA-256");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        synchronized void update(byte[] b) {
            sha.update(b);
        }

        Sink<ByteString, CompletionStage<Long>> sink() {
            return Sink.fold(0L, (n, b) -> {
                synchronized (this) {
                    for (var buf : b.getByteBuffers()) {
                        sha.update(buf);
                    }
                }
                return n + b.size();
            });
        }

        synchronized String hex() {
            return HexFormat.of().formatHex(sha.digest());
        }
    }
}
