package io.vchan.connector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

/** The README's example, verbatim between the markers, so it cannot rot. */
class ReadmeExampleTest {

    @Test
    void theReadmeExampleRuns() throws Exception {
        // README example begin
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "example",
                ConfigFactory.parseString("vchan.platform = in-jvm") // both domains in this JVM
                        .withFallback(ConfigFactory.load()));
        Vchan vchan = Vchan.get(system);

        // dom1 (a guest agent, say) serves an upper-casing echo on port "echo" for dom0
        vchan.server(DomainId.of(0), VchanPort.of("echo"), vchan.settings().withLocalDomain(1))
                .join(Flow.of(ByteString.class).map(b -> ByteString.fromString(b.utf8String().toUpperCase())))
                .run(system);

        // dom0 connects, sends one line and reads until the server closes: completing
        // upstream shuts down our writing only (half-close), so the reply still arrives
        CompletionStage<String> reply = Source.single(ByteString.fromString("hello, vchan"))
                .via(vchan.client(DomainId.of(1), VchanPort.of("echo"), vchan.settings().withLocalDomain(0)))
                .runFold(ByteString.emptyByteString(), ByteString::concat, system)
                .thenApply(ByteString::utf8String);
        // README example end
        try {
            assertReadmeShowsThisExample();
            assertEquals("HELLO, VCHAN", reply.toCompletableFuture().get(20, TimeUnit.SECONDS));
        } finally {
            system.terminate();
            system.getWhenTerminated().toCompletableFuture().get(20, TimeUnit.SECONDS);
        }
    }

    /** Every line of the example above appears in the README, in order. */
    private static void assertReadmeShowsThisExample() throws Exception {
        String source = Files.readString(Path.of("src/test/java/io/vchan/connector/ReadmeExampleTest.java"));
        String example = source.substring(source.indexOf("// README example begin"),
                source.indexOf("// README example end"));
        String readme = Files.readString(Path.of("..", "README.md"));
        int from = 0;
        for (String line : example.lines().skip(1).map(String::strip).filter(l -> !l.isEmpty()).toList()) {
            int at = readme.indexOf(line, from);
            assertTrue(at >= 0, "README.md lacks, or has out of order, the example line: " + line);
            from = at + line.length();
        }
    }
}
