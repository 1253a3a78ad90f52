package io.vchan.bridge.hostile;

import static org.junit.jupiter.api.Assertions.fail;

import io.vchan.bridge.BlockingVchan;
import io.vchan.bridge.ring.VchanClosedException;
import io.vchan.bridge.ring.VchanProtocolException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Our endpoint under attack: one task writes, one reads, each until the
 * channel ends. The only acceptable ends are end of stream, a
 * {@link VchanProtocolException} (we caught the peer) or a
 * {@link VchanClosedException} (the peer or we closed); the first protocol
 * error closes the channel, as a real user would.
 */
final class VictimTraffic {

    /** How one direction ended. */
    enum End { END_OF_STREAM, PROTOCOL_ERROR, CLOSED }

    private final BlockingVchan victim;
    private final Duration opTimeout;
    private final CompletableFuture<End> reader;
    private final CompletableFuture<End> writer;

    VictimTraffic(BlockingVchan victim, ExecutorService executor, long seed, Duration opTimeout) {
        this.victim = victim;
        this.opTimeout = opTimeout;
        this.reader = CompletableFuture.supplyAsync(this::read, executor);
        this.writer = CompletableFuture.supplyAsync(() -> write(seed), executor);
    }

    private End read() {
        ByteBuffer buf = ByteBuffer.allocate(8192);
        return until(() -> {
            buf.clear();
            return victim.read(buf, opTimeout) < 0;
        });
    }

    private End write(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        byte[] data = new byte[8192];
        random.nextBytes(data);
        return until(() -> {
            victim.writeFully(ByteBuffer.wrap(data, 0, 1 + random.nextInt(data.length)), opTimeout);
            return false;
        });
    }

    private interface Step {
        /** True at end of stream. */
        boolean run() throws Exception;
    }

    private End until(Step step) {
        try {
            while (!step.run()) {
                // keep going
            }
            return End.END_OF_STREAM;
        } catch (VchanProtocolException e) {
            victim.close();
            return End.PROTOCOL_ERROR;
        } catch (VchanClosedException e) {
            return End.CLOSED;
        } catch (Exception e) {
            // a timeout (a hang) or any other exception type breaks the contract
            throw new AssertionError("the attacked endpoint failed with " + e, e);
        }
    }

    /** Both directions ended within {@code timeout}, acceptably; returns true if a protocol error was seen. */
    boolean awaitAcceptableEnd(Duration timeout, String context) throws InterruptedException {
        try {
            End r = reader.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            End w = writer.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return r == End.PROTOCOL_ERROR || w == End.PROTOCOL_ERROR;
        } catch (TimeoutException e) {
            victim.close();
            return fail(context + ": the attacked endpoint hung for more than " + timeout);
        } catch (java.util.concurrent.ExecutionException e) {
            victim.close();
            return fail(context + ": " + e.getCause().getMessage(), e.getCause());
        }
    }
}
