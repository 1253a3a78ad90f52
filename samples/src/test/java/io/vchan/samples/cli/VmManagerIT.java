package io.vchan.samples.cli;

import static io.vchan.samples.vmm.ManagerClient.failureOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.vchan.bridge.testing.PeerProcess;
import io.vchan.bridge.testing.SimulatedHost;
import io.vchan.connector.DomainId;
import io.vchan.connector.Vchan;
import io.vchan.samples.vmm.GuestStatus;
import io.vchan.samples.vmm.LinkSettings;
import io.vchan.samples.vmm.LinkState;
import io.vchan.samples.vmm.Manager;
import io.vchan.samples.vmm.ManagerClient;
import io.vchan.samples.vmm.RunResult;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.Test;

/**
 * The VM-manager sample with real processes: guest agents from the packaged
 * jar, each its own domain, and the manager in this JVM as dom0 of the same
 * xensim host; then the {@code vm-manager} walkthrough as a person runs it.
 */
class VmManagerIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final List<Integer> GUESTS = List.of(1, 2, 3);

    @Test
    void aKilledGuestIsReconnectedOnceRestartedWhileTheOthersKeepAnswering() throws Exception {
        ActorTestKit kit = ActorTestKit.create("VmManagerIT", ConfigFactory.parseString("""
                vchan.platform = xensim
                pekko.loglevel = WARNING
                """).withFallback(ConfigFactory.load()));
        try (SimulatedHost host = SimulatedHost.sharedWithThisJvm()) {
            Map<Integer, PeerProcess> agents = new TreeMap<>();
            for (int d : GUESTS) {
                agents.put(d, agent(host, d));
            }
            ManagerClient manager = new ManagerClient(kit.spawn(Manager.forDomains(
                    GUESTS.stream().map(DomainId::of).toList(),
                    LinkSettings.defaults(Vchan.get(kit.system()).settings())), "manager"), kit.system());
            for (int d : GUESTS) {
                manager.awaitConnected(d, 1);
                assertEquals(DomainId.of(d), manager.ping(d).guest());
                assertEquals(new RunResult(List.of("hello from dom" + d), 0),
                        manager.run(d, "sh", "-c", "echo hello from dom$XENSIM_DOMID"));
                GuestStatus status = manager.status(d);
                assertEquals(agents.get(d).pid(), status.pid(), "the agent of dom" + d + " answers for it");
                assertFalse(status.hostname().isBlank());
            }
            assertEquals(new RunResult(List.of(), 7), manager.run(3, "sh", "-c", "exit 7"));

            // dom1 and dom3 are pinged from now until dom2 is back: none of those pings may fail
            Pinger others = new Pinger(manager, 1, 3);
            others.start();
            long killedPid = agents.get(2).pid();
            agents.get(2).kill();
            manager.awaitGuest(2, "seen lost", g -> g.state() == LinkState.RECONNECTING);
            int answeredBeforeDown = others.answered.get();
            assertTrue(failureOf(() -> manager.ping(2)).contains("dom2 is reconnecting"));
            others.awaitMore(answeredBeforeDown + 4);

            agents.put(2, agent(host, 2));
            assertEquals(2, manager.awaitConnected(2, 2).connects());
            others.stop();
            assertEquals(List.of(), List.copyOf(others.failures));

            GuestStatus restarted = manager.status(2);
            assertEquals(agents.get(2).pid(), restarted.pid());
            assertTrue(restarted.pid() != killedPid);
            assertEquals(new RunResult(List.of("back"), 0), manager.run(2, "echo", "back"));
            assertEquals(1, manager.guest(1).connects(), "dom1 never lost its connection");
            assertEquals(1, manager.guest(3).connects(), "dom3 never lost its connection");
        } finally {
            kit.shutdownTestKit();
        }
    }

    @Test
    void theWalkthroughShowsAGuestKilledAndReconnected() throws Exception {
        try (SimulatedHost host = new SimulatedHost()) {
            PeerProcess walkthrough = VchanJar.start(host, 0, true, "vm-manager", "--guests", "3");
            walkthrough.assertSucceeds(Duration.ofMinutes(3));
            List<String> out = walkthrough.lines();
            assertTrue(out.contains("  dom2   exit 0: hello from dom2 | Linux"), walkthrough.describe());
            String whileDown = walkthrough.awaitLine("  ping", 2, TIMEOUT);
            assertTrue(whileDown.contains("dom1: pong") && whileDown.contains("dom2: failed: dom2 is reconnecting")
                    && whileDown.contains("dom3: pong"), whileDown);
            assertTrue(walkthrough.awaitLine("  dom2 connected again", TIMEOUT).endsWith("(connects: 2)"));
            String afterwards = walkthrough.awaitLine("  ping", 3, TIMEOUT);
            assertFalse(afterwards.contains("failed"), afterwards);
            assertTrue(out.get(out.size() - 1).startsWith("done: dom2 reconnected"), walkthrough.describe());
        }
    }

    private static PeerProcess agent(SimulatedHost host, int domain) throws InterruptedException {
        PeerProcess agent = VchanJar.start(host, domain, true, "guest-agent", "--manager-domain", "0");
        agent.awaitLine("guest-agent: dom" + domain + " serving dom0", TIMEOUT);
        return agent;
    }

    /** Pings some guests over and over on a thread of its own, keeping every failure. */
    private static final class Pinger {
        final AtomicInteger answered = new AtomicInteger();
        final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread thread;

        Pinger(ManagerClient manager, int... guests) {
            thread = new Thread(() -> {
                while (running.get()) {
                    for (int g : guests) {
                        try {
                            manager.ping(g);
                            answered.incrementAndGet();
                        } catch (Exception e) {
                            failures.add("dom" + g + ": " + e);
                        }
                    }
                }
            }, "pinger");
        }

        void start() {
            thread.start();
        }

        void awaitMore(int count) throws InterruptedException {
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (answered.get() < count && failures.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(10); // polling a condition with a deadline
            }
            assertTrue(answered.get() >= count, "pings answered: " + answered + ", failures: " + failures);
        }

        void stop() throws InterruptedException {
            running.set(false);
            thread.join(TIMEOUT.toMillis());
        }
    }
}
