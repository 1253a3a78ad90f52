package io.vchan.bridge.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vchan.bridge.events.EventLoop;
import io.vchan.bridge.jna.JnaPlatform;
import io.vchan.bridge.testing.PeerProcess;
import io.vchan.bridge.testing.SimulatedHost;
import io.vchan.bridge.testing.TestEnvironment;
import io.vchan.bridge.xen.DomainId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What both C hostile-peer tests share: our event loop over xensim with 50
 * healthy channels on it, vchan-hostile started as domain 1 in the role given,
 * and at the end its report and the healthy channels checked. The test itself
 * plays our side of each round.
 */
final class XensimAttack implements AutoCloseable {

    static final DomainId OURS = DomainId.of(0);
    static final DomainId HOSTILE = DomainId.of(1);
    static final Duration TIMEOUT = Duration.ofSeconds(30);
    static final Duration OP_TIMEOUT = Duration.ofSeconds(10);
    private static final DomainId BYSTANDER = DomainId.of(2);
    private static final Pattern DONE =
            Pattern.compile("done mutations=(\\d+) rounds=(\\d+) shrinks=(\\d+) refused=(\\d+)");

    private final String role;
    private final long seed;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final List<AutoCloseable> resources = new ArrayList<>();
    private EventLoop loop;
    private HealthyChannels healthy;
    private AttackWindow window;
    private PeerProcess hostile;
    private long startNanos;

    private XensimAttack(String role, long seed) {
        this.role = role;
        this.seed = seed;
    }

    /**
     * Starts vchan-hostile as a {@code role} ("client" or "server") at paths
     * {@code prefix + round}, once the healthy channels' rate before the attack is measured.
     */
    static XensimAttack start(String role, String prefix, long mutations, long seed) throws Exception {
        XensimAttack attack = new XensimAttack(role, seed);
        try {
            attack.open(prefix, mutations);
        } catch (Exception | Error e) {
            try {
                attack.close();
            } catch (Exception suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        return attack;
    }

    private void open(String prefix, long mutations) throws Exception {
        loop = EventLoop.start(JnaPlatform.xensim(), 1);
        resources.add(loop);
        SimulatedHost host = SimulatedHost.sharedWithThisJvm();
        resources.add(host);
        healthy = new HealthyChannels(loop, OURS, BYSTANDER,
                "/local/domain/0/data/vchan/2/hy" + role.charAt(0) + ProcessHandle.current().pid() + "-", 50);
        resources.add(healthy);
        window = AttackWindow.open(healthy);
        List<String> command = new ArrayList<>(List.of(TestEnvironment.testProgram("vchan-hostile").toString(),
                "--peer", "0", "--path-prefix", prefix, "--mutations", Long.toString(mutations),
                "--seed", Long.toString(seed)));
        if (role.equals("server")) {
            command.add("--server");
        }
        startNanos = System.nanoTime();
        hostile = host.start("vchan-hostile-" + role, HOSTILE.value(), command, true, false, Map.of());
        System.out.println("vchan-hostile " + role + " " + hostile.awaitLine("seed", TIMEOUT)
                + " (replay: -Dvchan.fuzz.seed)");
    }

    EventLoop loop() {
        return loop;
    }

    ExecutorService executor() {
        return executor;
    }

    long seed() {
        return seed;
    }

    /** True once the hostile peer has done its mutations and said so. */
    boolean hostileDone() {
        return hostile.lines().stream().anyMatch(l -> l.startsWith("done"));
    }

    String describeHostile() {
        return hostile.describe();
    }

    /** The hostile peer finished cleanly, the healthy channels kept going, and corruption was caught. */
    void finish(int caught) throws InterruptedException {
        Matcher done = DONE.matcher(hostile.awaitLine("done", TIMEOUT));
        assertTrue(done.matches());
        hostile.assertSucceeds(TIMEOUT);
        System.out.printf("vchan-hostile %s: %s mutations over %s channels in %d ms, %d caught as protocol errors;"
                + " %s shrinks of the shared page tried, %s refused%n", role, done.group(1), done.group(2),
                (System.nanoTime() - startNanos) / 1_000_000, caught, done.group(3), done.group(4));
        window.assertProgressAndReport();
        assertTrue(caught > 0, "no corruption was ever detected: the fuzzer is not reaching the checks");
        // a shrink that took would have stopped the hostile peer before "done"; one that could not be tried is no proof
        assertTrue(Long.parseLong(done.group(3)) > 0, "the fuzzer tried no shrink");
        assertEquals(done.group(3), done.group(4), "shrinks tried vs refused (the rest could not reopen the page)");
    }

    @Override
    public void close() throws Exception {
        executor.shutdownNow();
        Exception first = null;
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (Exception e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
