package io.vchan.samples.vmm;

import static io.vchan.samples.vmm.ManagerClient.failureOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vchan.bridge.xen.XenStore;
import io.vchan.connector.DomainId;
import io.vchan.connector.VchanSettings;
import io.vchan.connector.impl.VchanRuntime;
import io.vchan.testkit.VchanTestKit;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The manager in dom0 and the guest agents, each as its own domain, in two actor systems of this JVM on one
 * in-JVM host (the vchan testkit's); after each test, with the manager and the agents stopped, the host holds
 * what it held before.
 */
class VmManagerInJvmTest {

    private static final String HOST = "vm-manager-in-jvm";
    private static final List<DomainId> GUESTS = List.of(DomainId.of(1), DomainId.of(2), DomainId.of(3));

    private final ActorTestKit kit = ActorTestKit.create("manager", VchanTestKit.config(HOST));
    private final ActorTestKit guests = ActorTestKit.create("guests", VchanTestKit.config(HOST));
    private final VchanTestKit managerVchan = VchanTestKit.create(kit.system(), DomainId.DOM0);
    private final VchanTestKit guestsVchan = VchanTestKit.create(guests.system(), DomainId.of(1), DomainId.of(2),
            DomainId.of(3), DomainId.of(4));
    private final VchanSettings settings = managerVchan.settingsAs(DomainId.DOM0);
    private final Map<Integer, GuestAgent.Running> agents = new HashMap<>();
    private ActorRef<Manager.Command> managerRef;

    @BeforeEach
    void baseline() {
        // both systems' event loops hold their handles now: what the host must hold again after the test
        managerVchan.recordBaseline();
        guestsVchan.recordBaseline();
    }

    @AfterEach
    void shutdown() throws Exception {
        try {
            if (managerRef != null) {
                kit.stop(managerRef);
            }
            for (GuestAgent.Running agent : agents.values()) {
                agent.stop().toCompletableFuture().get(10, TimeUnit.SECONDS);
            }
            managerVchan.assertNoLeaks();
            guestsVchan.assertNoLeaks();
        } finally {
            kit.shutdownTestKit();
            guests.shutdownTestKit();
        }
    }

    private void startAgent(int domain) throws Exception {
        agents.put(domain, GuestAgent.serve(guests.system(), DomainId.DOM0, AgentProtocol.PORT,
                guestsVchan.settingsAs(DomainId.of(domain)), connection -> { })
                .toCompletableFuture().get(10, TimeUnit.SECONDS));
    }

    private ManagerClient spawnManager(Behavior<Manager.Command> behavior) {
        managerRef = kit.spawn(behavior, "manager");
        return new ManagerClient(managerRef, kit.system());
    }

    @Test
    void servesEveryGuestAndReconnectsOneThatWasStopped() throws Exception {
        for (DomainId g : GUESTS) {
            startAgent(g.value());
        }
        ManagerClient manager = spawnManager(Manager.forDomains(GUESTS, LinkSettings.defaults(settings)));
        for (DomainId g : GUESTS) {
            int d = g.value();
            manager.awaitConnected(d, 1);
            assertEquals(g, manager.ping(d).guest());
            assertEquals(new RunResult(List.of("hi from " + d), 0), manager.run(d, "echo", "hi from " + d));
            assertTrue(manager.status(d).uptimeMs() >= 0);
            assertEquals(ProcessHandle.current().pid(), manager.status(d).pid());
        }
        assertEquals(new RunResult(List.of("out", "err"), 3),
                manager.run(1, "sh", "-c", "echo out; sleep 0.1; echo err >&2; exit 3"));
        assertTrue(failureOf(() -> manager.run(1, "/no/such/command")).contains("cannot run"));
        assertTrue(failureOf(() -> manager.ping(7)).contains("no guest dom7"));

        agents.remove(2).stop().toCompletableFuture().get(10, TimeUnit.SECONDS);
        manager.awaitGuest(2, "reconnecting", g -> g.state() == LinkState.RECONNECTING);
        assertTrue(failureOf(() -> manager.ping(2)).contains("dom2 is reconnecting"));
        manager.ping(1);
        manager.ping(3);

        startAgent(2);
        assertEquals(2, manager.awaitConnected(2, 2).connects());
        assertEquals(DomainId.of(2), manager.ping(2).guest());
        assertEquals(1, manager.guest(1).connects());
        assertEquals(1, manager.guest(3).connects());
    }
    /**
     * A guest known by name is found in its domain through XenStore, and when it
     * is destroyed and created again under the same name in another domain, the
     * link follows it there.
     */
    @Test
    void followsAGuestByNameToTheDomainItIsCreatedInAgain() throws Exception {
        try (XenStore toolstack = VchanRuntime.get(kit.system()).platform()
                .openXenStore(io.vchan.bridge.xen.DomainId.DOM0)) {
            toolstack.write(0, "/local/domain/1/name", bytes("vm-a"));
            toolstack.write(0, "/local/domain/2/name", bytes("vm-b"));
            startAgent(1);
            startAgent(2);
            ManagerClient manager = spawnManager(Manager.create(
                    List.of(GuestAddress.named("vm-a"), GuestAddress.named("vm-b"), GuestAddress.named("vm-z")),
                    LinkSettings.defaults(settings)));
            assertEquals(Optional.of(DomainId.of(1)), manager.awaitConnected("vm-a", 1).domain());
            assertEquals(DomainId.of(1), manager.ping("vm-a").guest());
            // the two links come up independently: vm-a's being up says nothing of vm-b's
            assertEquals(Optional.of(DomainId.of(2)), manager.awaitConnected("vm-b", 1).domain());
            assertEquals(DomainId.of(2), manager.status("vm-b").guest());
            GuestInfo absent = manager.awaitGuest("vm-z", "looked up",
                    g -> g.detail().contains("no domain is named 'vm-z'"));
            assertEquals(LinkState.CONNECTING, absent.state());
            assertTrue(failureOf(() -> manager.ping("vm-z")).contains("vm-z is connecting"));

            // vm-a is destroyed (its agent gone, the toolstack removes its directory) and created again as dom4
            agents.remove(1).stop().toCompletableFuture().get(10, TimeUnit.SECONDS);
            toolstack.remove(0, "/local/domain/1");
            manager.awaitGuest("vm-a", "reconnecting", g -> g.state() == LinkState.RECONNECTING);
            toolstack.write(0, "/local/domain/4/name", bytes("vm-a"));
            startAgent(4);
            GuestInfo moved = manager.awaitConnected("vm-a", 2);
            assertEquals(Optional.of(DomainId.of(4)), moved.domain());
            assertEquals(DomainId.of(4), manager.ping("vm-a").guest());
            assertEquals(new RunResult(List.of("hi"), 0), manager.run("vm-a", "echo", "hi"));
            assertEquals(1, manager.guest("vm-b").connects());
        }
    }

    @Test
    void refusesAGuestNameThatCannotBeOne() {
        for (String bad : new String[] {"", "a/b", "two words", "x".repeat(65)}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GuestAddress.named(bad));
            assertTrue(e.getMessage().startsWith("a guest name is 1 to 64 printable ASCII characters"), e.getMessage());
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
