package io.vchan.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vchan.connector.DomainId;
import io.vchan.connector.VchanPort;
import io.vchan.connector.VchanProtocolException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.stream.testkit.TestSubscriber;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The kit as a user would have it: a manager system in dom0 and a guest system
 * in dom1 on one in-JVM host, Pekko's JUnit 5 extension for the actor test kit
 * and ours checking after each test that nothing was left behind.
 */
@ExtendWith(TestKitJUnit5Extension.class)
@ExtendWith(VchanTestKitExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class VchanTestKitTest {

    private static final String HOST = "testkit-test";
    private static final DomainId MANAGER = DomainId.DOM0;
    private static final DomainId GUEST = DomainId.of(1);
    private static final AtomicInteger PORTS = new AtomicInteger();

    // README example begin
    // two actor systems on one in-JVM Xen host: the manager in dom0, a guest in dom1
    @JUnit5TestKit
    ActorTestKit managerSystem = new JUnit5TestKitBuilder().withName("manager")
            .withCustomConfig(VchanTestKit.config(HOST)).build();
    ActorTestKit guestSystem = ActorTestKit.create("guest", VchanTestKit.config(HOST));

    VchanTestKit manager = VchanTestKit.create(managerSystem.system(), MANAGER);
    VchanTestKit guest = VchanTestKit.create(guestSystem.system(), GUEST);
    // README example end

    @AfterAll
    void stopGuest() {
        guestSystem.shutdownTestKit();
    }

    private static VchanPort port() {
        return VchanPort.of("kit" + PORTS.incrementAndGet());
    }

    @Test
    void aPairAcrossTwoSystemsCarriesBytesBothWays() {
        // README example begin
        // the guest serves, the manager connects: both ends with stream-testkit probes
        ConnectedPair pair = VchanTestKit.connectedPair(guest, GUEST, manager, MANAGER, port());
        pair.client().send("ping");
        assertEquals("ping", pair.server().receive(4).utf8String());
        pair.close(); // VchanTestKitExtension checks after the test that nothing is left
        // README example end
        assertEquals(GUEST, pair.server().connection().localDomain());
        assertEquals(MANAGER, pair.client().connection().localDomain());
    }

    @Test
    void bytesGoBothWays() {
        ConnectedPair pair = VchanTestKit.connectedPair(guest, GUEST, manager, MANAGER, port());
        pair.server().send("pong!");
        assertEquals("pong!", pair.client().receive(5).utf8String());
        pair.client().send("ping");
        assertEquals("ping", pair.server().receive(4).utf8String());
        pair.close();
    }

    /** Every line between the README markers of this file appears in the README, in order. */
    @Test
    void theReadmeShowsTheseExamples() throws Exception {
        String source = Files.readString(Path.of("src/test/java/io/vchan/testkit/VchanTestKitTest.java"));
        String readme = Files.readString(Path.of("..", "README.md"));
        int from = 0;
        String begin = "// README example" + " begin"; // split, so that these lines are no markers
        String stop = "// README example" + " end";
        for (String block : source.split(begin)) {
            int end = block.indexOf(stop);
            if (end < 0) {
                continue;
            }
            for (String line : block.substring(0, end).lines().map(String::strip).filter(l -> !l.isEmpty())
                    .toList()) {
                int at = readme.indexOf(line, from);
                assertTrue(at >= 0, "README.md lacks, or has out of order, the testkit example line: " + line);
                from = at + line.length();
            }
        }
    }

    @Test
    void leftoversAreNamed() {
        ConnectedPair pair = VchanTestKit.connectedPair(guest, GUEST, manager, MANAGER, port());
        AssertionError left = assertThrows(AssertionError.class,
                () -> manager.withTimeout(Duration.ofMillis(300)).assertNoLeaks());
        assertTrue(left.getMessage() != null && !left.getMessage().isEmpty(), String.valueOf(left));
        pair.close(); // and the extension's check after this test passes
    }

    @Test
    void aCrashedPeerDomainEndsTheStreamOfItsPeer() {
        ActorTestKit doomedSystem = ActorTestKit.create("doomed", VchanTestKit.config(HOST));
        try {
            DomainId doomed = DomainId.of(2);
            VchanTestKit doomedKit = VchanTestKit.create(doomedSystem.system(), doomed);
            ConnectedPair pair = VchanTestKit.connectedPair(doomedKit, doomed, manager, MANAGER, port());

            manager.crashDomain(doomed);
            pair.client().in().request(1);
            pair.client().in().expectComplete(); // the server's page is gone: end of stream, nothing was lost
            pair.client().out().expectCancellation();
        } finally {
            doomedSystem.shutdownTestKit(); // what crashed stays broken: its system goes, and its leftovers
        }
    }

    @Test
    void aHostilePeerFailsTheConnectionWithAProtocolError() throws Exception {
        ConnectedPair pair = VchanTestKit.connectedPair(guest, GUEST, manager, MANAGER, port());
        Path jfr = Files.createTempFile("vchan-", ".jfr");
        try (Recording recording = new Recording()) {
            recording.enable("io.vchan.ProtocolError");
            recording.start();

            manager.corruptIndices(pair.server().connection());
            pair.server().in().request(1);
            pair.client().send("x"); // wakes the server, which now finds a gigabyte claimed in its ring
            assertInstanceOf(VchanProtocolException.class, pair.server().in().expectError());
            pair.server().out().expectCancellation();
            pair.server().connection().whenClosed().exceptionally(e -> null).toCompletableFuture()
                    .get(VchanTestKit.TIMEOUT.toSeconds(), TimeUnit.SECONDS); // its event is committed by then

            recording.stop();
            recording.dump(jfr);
        }
        List<RecordedEvent> errors = RecordingFile.readAllEvents(jfr).stream()
                .filter(e -> e.getEventType().getName().equals("io.vchan.ProtocolError"))
                .filter(e -> pair.server().connection().xenStorePath().equals(e.getString("path")))
                .filter(e -> "server".equals(e.getString("role"))).toList();
        Files.delete(jfr);
        assertEquals(1, errors.size(), "the flight recorder has the server's protocol error: " + errors);
        assertTrue(errors.get(0).getString("message").contains("corrupt"), errors.get(0).getString("message"));

        pair.client().in().request(1);
        TestSubscriber.SubscriberEvent end = pair.client().in().expectEvent();
        assertTrue(end instanceof TestSubscriber.OnComplete$ || end instanceof TestSubscriber.OnError,
                "the client's stream ends: " + end);
        pair.client().out().expectCancellation();
    }
}
