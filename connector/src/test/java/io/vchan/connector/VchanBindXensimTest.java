package io.vchan.connector;

import static io.vchan.connector.VchanTestSupport.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vchan.bridge.jna.JnaPlatform;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@link Vchan#bind} over xensim: the contract with both domains in this JVM,
 * and Debian's libxenvchan as successive clients in processes of their own.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class VchanBindXensimTest extends VchanBindContract {

    private static final long BYTES = 300_000; // several times the 64 KiB rings

    VchanBindXensimTest() {
        super("xensim");
    }

    @Override
    Object resources() throws Exception {
        return ((JnaPlatform) vchan.runtime().platform()).xensimStats();
    }

    @Test
    void serves_three_libxenvchan_clients_one_after_another() throws Exception {
        VchanPort port = freshPort();
        Pair<CompletionStage<VchanBinding>, CompletionStage<Done>> running = vchan.bind(CLIENT, port, serverSettings)
                .toMat(Sink.foreach(c -> c.handleWith(Flow.of(ByteString.class), mat)), Keep.both()) // echo
                .run(mat);
        VchanBinding binding = await(running.first());

        for (int seed = 1; seed <= 3; seed++) {
            // libxenvchan's client looks once; the driver retries until the channel is published.
            ThisHostDriver client = ThisHostDriver.start(CLIENT.value(), List.of("client", "--peer", "0",
                    "--path", binding.xenStorePath(), "--send", Long.toString(BYTES), "--expect",
                    Long.toString(BYTES), "--seed", Integer.toString(seed), "--timeout-ms", "20000"));
            List<String> said = client.awaitSuccess(TIMEOUT);
            Optional<String> sent = ThisHostDriver.report(said, "sent");
            assertTrue(sent.isPresent() && sent.get().startsWith(BYTES + " "), "client " + seed + " said " + said);
            assertEquals(sent, ThisHostDriver.report(said, "received"),
                    "the echo differs from what client " + seed + " sent");
        }
        await(binding.unbind());
        await(running.second());
    }
}
