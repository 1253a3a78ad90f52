package io.vchan.bridge.crash;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vchan.bridge.events.EventLoop;
import io.vchan.bridge.jna.JnaPlatform;
import io.vchan.bridge.jna.JnaPlatform.XensimStats;
import io.vchan.bridge.testing.PeerProcess;
import io.vchan.bridge.xen.DomainId;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * What the crash tests share: this JVM's xensim platform and event loop (we
 * are dom0, the victim dom1), fresh paths, the kill-to-end timing with its
 * 100 ms limit, and waits for the daemon to reclaim a dead process's resources.
 */
final class CrashRig implements AutoCloseable {

    static final Duration TIMEOUT = Duration.ofSeconds(30);
    static final long LIMIT_MS = 100;
    static final DomainId US = DomainId.of(0);
    static final DomainId VICTIM = DomainId.of(1);
    private static final AtomicInteger PATHS = new AtomicInteger();

    final JnaPlatform platform;
    final EventLoop loop;
    private final AtomicLong worstMs = new AtomicLong();

    CrashRig() throws IOException {
        platform = JnaPlatform.xensim();
        loop = EventLoop.start(platform, 1);
        loop.channels(US);
    }

    /** A path of its own per test, short: libxenvchan's key buffer takes 49 characters. */
    static String path(DomainId server, DomainId client) {
        return "/local/domain/" + server.value() + "/data/vchan/" + client.value() + "/k"
                + ProcessHandle.current().pid() % 100_000 + "-" + PATHS.incrementAndGet();
    }

    /** vchan-driver's arguments for a {@code role} whose peer is us. */
    static List<String> driverArgs(String role, String path, String... rest) {
        return Stream.concat(Stream.of(role, "--peer", Integer.toString(US.value()), "--path", path),
                Stream.of(rest)).toList();
    }

    /** Kills {@code victim}, waits for {@code ended} and returns the milliseconds from the kill. */
    long killAndTime(PeerProcess victim, Future<?> ended, String what) throws Exception {
        long killed = System.nanoTime();
        victim.kill();
        ended.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        return record((System.nanoTime() - killed) / 1_000_000, what);
    }

    /** Prints and checks one measured time against the limit. */
    long record(long ms, String what) {
        worstMs.accumulateAndGet(ms, Math::max);
        System.out.printf("crash matrix: %s: %d ms%n", what, ms);
        assertTrue(ms < LIMIT_MS, what + ": " + ms + " ms, limit " + LIMIT_MS);
        return ms;
    }

    long worstMs() {
        return worstMs.get();
    }

    XensimStats stats() throws IOException {
        return platform.xensimStats();
    }

    /** The daemon reclaims what a dead process held asynchronously: wait for it. */
    XensimStats await(String what, Predicate<XensimStats> condition) throws IOException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        XensimStats now;
        while (!condition.test(now = stats()) && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertTrue(condition.test(now), what + ": " + now);
        return now;
    }

    void awaitBaseline(XensimStats baseline) throws IOException {
        await("xensim resources back to " + baseline, baseline::equals);
    }

    /** The victim's domain has no connection left: every handle it had is reclaimed. */
    void awaitVictimReaped(XensimStats baseline) throws IOException {
        await("the dead victim's handles reclaimed", s -> s.domains() == baseline.domains());
    }

    @Override
    public void close() {
        loop.close();
    }
}
