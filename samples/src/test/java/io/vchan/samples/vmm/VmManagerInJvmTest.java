package io.vchan.samples.vmm;

import static io.vchan.samples.vmm.ManagerClient.failureOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.vchan.bridge.xen.XenStore;
import io.vchan.connector.DomainId;
import io.vchan.connector.Vchan;
import io.vchan.connector.VchanSettings;
import io.vchan.connector.impl.VchanRuntime;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The manager and three agents in this JVM over the in-JVM platform, each agent as its own domain. */
class VmManagerInJvmTest {

    private static final List<DomainId> GUESTS = List.of(DomainId.of(1), DomainId.of(2), DomainId.of(3));

    private final ActorTestKit kit = ActorTestKit.create("VmManagerInJvmTest",
            ConfigFactory.parseString("vchan.platform = in-jvm").withFallback(ConfigFactory.load()));
    private final VchanSettings settings = Vchan.get(kit.system()).settings();
    private final Map<Integer, GuestAgent.Running> agents = new HashMap<>();

    @AfterEach
    void shutdown() {
        kit.shutdownTestKit();
    }

    private void startAgent(int domain) throws Exception {
        agents.put(domain, GuestAgent.serve(kit.system(), DomainId.DOM0, AgentProtocol.PORT,
                settings.withLocalDomain(domain), connection -> { }).toCompletableFuture().get(10, TimeUnit.SECONDS));
    }

    @Test
    void servesEveryGuestAndReconnectsOneThatWasStopped() throws Exception {
        for (DomainId g : GUESTS) {
            startAgent(g.value());
        }
        ManagerClient manager = new ManagerClient(kit.spawn(Manager.forDomains(GUESTS,
                LinkSettings.defaults(settings.withLocalDomain(0))), "manager"), kit.system());
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
            ManagerClient manager = new ManagerClient(kit.spawn(Manager.create(
                    List.of(GuestAddress.named("vm-a"), GuestAddress.named("vm-b"), GuestAddress.named("vm-z")),
                    LinkSettings.defaults(settings.withLocalDomain(0))), "manager"), kit.system());
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
