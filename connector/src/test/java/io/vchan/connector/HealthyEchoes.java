package io.vchan.connector;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.util.ByteString;

/**
 * Bystanders for an attack on the connector: pairs of an echo server flow
 * (dom0) and an endpoint client (dom1) on the actor system's one event loop,
 * which one thread takes in turns, each a round trip of seeded bytes checked
 * on return. Measures how many round trips a second they make.
 */
final class HealthyEchoes implements AutoCloseable {

    private static final int MESSAGE = 64;
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    private final List<VchanEndpoint> clients = new ArrayList<>();
    private final List<CompletionStage<VchanConnection>> servers = new ArrayList<>();
    private final AtomicLong roundTrips = new AtomicLong();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final Thread thread = new Thread(this::echoAll, "healthy-echoes");
    private volatile boolean stopping;

    private HealthyEchoes() {
    }

    static HealthyEchoes start(Vchan vchan, Materializer mat, VchanSettings server, VchanSettings client, int pairs)
            throws Exception {
        HealthyEchoes h = new HealthyEchoes();
        try {
            for (int i = 0; i < pairs; i++) {
                VchanPort port = VchanTestSupport.freshPort();
                h.servers.add(vchan.server(VchanTestSupport.CLIENT, port, server)
                        .joinMat(Flow.create(), Keep.left()).run(mat));
                h.clients.add(VchanTestSupport.await(VchanEndpoint.connect(vchan, VchanTestSupport.SERVER, port,
                        client)));
            }
        } catch (Exception | Error e) {
            h.close();
            throw e;
        }
        h.thread.setDaemon(true);
        h.thread.start();
        return h;
    }

    private void echoAll() {
        SplittableRandom random = new SplittableRandom(7);
        try {
            while (!stopping) {
                for (VchanEndpoint c : clients) {
                    byte[] sent = new byte[MESSAGE];
                    random.nextBytes(sent);
                    VchanTestSupport.await(c.write(ByteString.fromArrayUnsafe(sent)));
                    ByteString back = ByteString.emptyByteString();
                    while (back.size() < MESSAGE) {
                        Optional<ByteString> got = VchanTestSupport.await(c.read());
                        back = back.concat(got.orElseThrow(() -> new AssertionError("healthy echo ended")));
                    }
                    if (!Arrays.equals(sent, back.toArray())) {
                        throw new AssertionError("healthy echo corrupted");
                    }
                    roundTrips.incrementAndGet();
                }
            }
        } catch (Throwable t) {
            failure.compareAndSet(null, t);
        }
    }

    /** Round trips per second: the median of five half-second windows (after one to warm up). */
    double medianRate() throws InterruptedException {
        rateOver(Duration.ofMillis(500));
        double[] rates = new double[5];
        for (int i = 0; i < rates.length; i++) {
            rates[i] = rateOver(Duration.ofMillis(500));
        }
        Arrays.sort(rates);
        return rates[rates.length / 2];
    }

    /** Round trips per second over the next {@code window}. */
    double rateOver(Duration window) throws InterruptedException {
        long from = roundTrips.get();
        long start = System.nanoTime();
        TimeUnit.NANOSECONDS.sleep(window.toNanos()); // a measuring window, not a wait for a condition
        assertIntact();
        return (roundTrips.get() - from) * 1e9 / (System.nanoTime() - start);
    }

    void assertIntact() {
        Throwable t = failure.get();
        if (t != null) {
            throw new AssertionError("a healthy channel failed", t);
        }
    }

    @Override
    public void close() throws Exception {
        stopping = true;
        thread.join(TIMEOUT.toMillis());
        for (VchanEndpoint c : clients) {
            c.close();
        }
        for (CompletionStage<VchanConnection> s : servers) {
            VchanTestSupport.await(VchanTestSupport.await(s).whenClosed());
        }
        assertEquals(null, failure.get(), "healthy channels failed");
    }
}
