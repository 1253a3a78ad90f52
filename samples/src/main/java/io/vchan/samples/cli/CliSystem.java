package io.vchan.samples.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The actor system of one command. Pekko's logging is off: stdout carries the
 * stream, and the command reports failures itself, one line on stderr.
 */
public final class CliSystem {

    private static final Config QUIET = ConfigFactory.parseString("""
            pekko.loglevel = OFF
            pekko.stdout-loglevel = OFF
            pekko.log-dead-letters = off
            pekko.log-dead-letters-during-shutdown = off
            pekko.coordinated-shutdown.log-info = off
            pekko.jvm-exit-on-fatal-error = off
            """);

    private CliSystem() {
    }

    public static ActorSystem<Void> create(String name) {
        return create(name, ConfigFactory.empty());
    }

    /** With {@code overrides} on top, e.g. a platform the command must use. */
    public static ActorSystem<Void> create(String name, Config overrides) {
        return ActorSystem.create(Behaviors.empty(), name,
                overrides.withFallback(QUIET).withFallback(ConfigFactory.load()));
    }
}
