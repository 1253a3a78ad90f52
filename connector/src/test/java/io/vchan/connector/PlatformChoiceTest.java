package io.vchan.connector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.typesafe.config.ConfigFactory;
import io.vchan.connector.impl.VchanRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.Test;

/**
 * {@code vchan.platform = auto} never starts a simulator by surprise: without
 * Xen it picks xensim only where a xensim host is configured, and otherwise
 * refuses with an error that names both ways out.
 */
class PlatformChoiceTest {

    private static ActorSystem<Void> system(String config) {
        return ActorSystem.create(Behaviors.empty(), "platform-choice", ConfigFactory.parseString(config)
                .withFallback(ConfigFactory.load()));
    }

    private static void terminate(ActorSystem<Void> system) throws Exception {
        system.terminate();
        system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @Test
    void autoWithoutXenOrAXensimHostRefusesAndSaysWhatToSet() throws Exception {
        assumeFalse(Files.exists(Path.of("/dev/xen/evtchn")), "on Xen, auto picks Xen");
        ActorSystem<Void> system = system("vchan.platform = auto\nvchan.xensim.host-dir = \"\"");
        try {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> Vchan.get(system));
            assertEquals("vchan.platform = auto found neither Xen (no /dev/xen/evtchn) nor a xensim host"
                    + " (vchan.xensim.host-dir, or XENSIM_DIR, is not set): run on Xen, or set vchan.platform ="
                    + " xensim (or in-jvm for tests) to use a simulator", e.getMessage());
        } finally {
            terminate(system);
        }
    }

    @Test
    void aSecondXensimHostInOneJvmIsRefused() throws Exception {
        String host = System.getenv("XENSIM_DIR"); // the build's xensim host for these tests
        ActorSystem<Void> first = system("vchan.platform = xensim\nvchan.xensim.host-dir = \"" + host + "\"");
        ActorSystem<Void> second = system("vchan.platform = xensim\nvchan.xensim.host-dir = \"" + host + "-other\"");
        try {
            Vchan.get(first); // this JVM's channels are on the build's host
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> Vchan.get(second));
            assertEquals("this JVM already uses the xensim host " + host + "; one JVM uses one host, not also "
                    + host + "-other", e.getMessage());
        } finally {
            terminate(second);
            terminate(first);
        }
    }

    @Test
    void autoWithAXensimHostConfiguredUsesIt() throws Exception {
        assumeFalse(Files.exists(Path.of("/dev/xen/evtchn")), "on Xen, auto picks Xen");
        String host = System.getenv("XENSIM_DIR"); // the build's xensim host for these tests
        ActorSystem<Void> system = system("vchan.platform = auto\nvchan.xensim.host-dir = \"" + host + "\"");
        try {
            Vchan.get(system);
            assertEquals("xensim", VchanRuntime.get(system).platform().name());
            assertEquals(VchanSystemSettings.Platform.AUTO, Vchan.get(system).systemSettings().platform());
        } finally {
            terminate(system);
        }
    }
}
