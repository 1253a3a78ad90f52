package io.vchan.connector;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import io.vchan.bridge.xen.XenException;
import io.vchan.connector.impl.Domains;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.testkit.javadsl.StreamTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInstance;

/**
 * One actor system per test class on one platform, both ends in this JVM as
 * dom0 (server) and dom1 (client). After every test: all stream stages have
 * stopped, no endpoint is registered with the event loop, the platform holds
 * exactly what it held before the test, and no event-loop thread was added.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class VchanTestSupport {

    static final DomainId SERVER = DomainId.of(0);
    static final DomainId CLIENT = DomainId.of(1);
    static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final AtomicInteger NEXT_PORT = new AtomicInteger();
    private static final String RUN = Long.toString(ProcessHandle.current().pid() % 1_000_000, 36);

    ActorSystem<Void> system;
    Vchan vchan;
    Materializer mat;
    private Object baseline;
    private long baselineLoopThreads;

    abstract TestPlatform platform();

    @BeforeAll
    void startSystem() throws Exception {
        system = ActorSystem.create(Behaviors.empty(), getClass().getSimpleName(), ConfigFactory
                .parseString("vchan.platform = " + platform().configName + "\n"
                        + "pekko.test.single-expect-default = 10s\n"
                        + "pekko.loglevel = WARNING\n")
                .withFallback(ConfigFactory.load()));
        vchan = Vchan.get(system);
        // the loop's per-domain handles and XenStore watches open on first use: open them before the baseline
        vchan.runtime().eventLoop().channels(Domains.bridge(SERVER));
        vchan.runtime().eventLoop().channels(Domains.bridge(CLIENT));
        vchan.runtime().eventLoop().storeWatches(Domains.bridge(SERVER));
        vchan.runtime().eventLoop().storeWatches(Domains.bridge(CLIENT));
    }

    @AfterAll
    void stopSystem() throws Exception {
        system.terminate();
        // the next class's baseline must not see this system's connections still closing
        vchan.runtime().whenReleased().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @BeforeEach
    void takeBaseline() {
        mat = Materializer.createMaterializer(system);
        baseline = resources();
        baselineLoopThreads = loopThreads();
    }

    @AfterEach
    void checkNothingLeaked() throws Exception {
        try {
            StreamTestKit.assertAllStagesStopped(mat, TIMEOUT);
        } finally {
            mat.shutdown(); // a failed test must not leave streams behind for the next one
        }
        eventually("no port left registered with the event loop", () -> vchan.runtime().eventLoop().registeredPorts() == 0);
        eventually("no XenStore watch left pending", () -> pendingWatches() == 0);
        try {
            eventually("the platform holds what it held before the test (" + baseline + ")",
                    () -> baseline.equals(resources()));
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; it holds " + resources(), e);
        }
        assertEquals(baselineLoopThreads, loopThreads(), "event-loop threads");
    }

    private int pendingWatches() {
        return pendingWatches(SERVER) + pendingWatches(CLIENT);
    }

    /** XenStore watches the event loop holds for {@code domain} now (a waiting client has one). */
    int pendingWatches(DomainId domain) {
        try {
            return vchan.runtime().eventLoop().storeWatches(Domains.bridge(domain)).count();
        } catch (XenException e) {
            throw new AssertionError(e);
        }
    }

    /** Live threads, less Pekko's default and internal dispatchers' (they grow with load, up to their cap). */
    static long threadsOtherThanPekkos() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> !t.getName().contains("default-dispatcher") && !t.getName().contains("internal-dispatcher"))
                .count();
    }

    Object resources() {
        return platform().resources(vchan);
    }

    private static long loopThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("vchan-events")).count();
    }

    VchanSettings serverSettings() {
        return vchan.settings().withLocalDomain(SERVER.value());
    }

    VchanSettings clientSettings() {
        return vchan.settings().withLocalDomain(CLIENT.value());
    }

    /** Unique per run too: the xensim host's XenStore outlives a JVM that crashed holding a channel. */
    static VchanPort freshPort() {
        return VchanPort.of("t" + RUN + "-" + NEXT_PORT.incrementAndGet());
    }

    /** Waits (polling, not sleeping blindly) until {@code condition} holds, or fails after the timeout. */
    static void eventually(String what, Supplier<Boolean> condition) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!condition.get()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + TIMEOUT + ": " + what);
            }
            TimeUnit.MILLISECONDS.sleep(2);
        }
    }

    static <T> T await(CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The exception {@code stage} fails with, unwrapped. */
    static Throwable failureOf(CompletionStage<?> stage) throws InterruptedException {
        try {
            stage.toCompletableFuture().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            return e.getCause();
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("did not fail within " + TIMEOUT, e);
        }
        throw new AssertionError("completed normally, expected a failure");
    }
}
