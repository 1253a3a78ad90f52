package io.vchan.bridge.interop;

import static io.vchan.bridge.testing.DriverReport.assertDelivered;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vchan.bridge.testing.PeerProcess;
import io.vchan.bridge.testing.SimulatedHost;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Two JVMs running our protocol code, one domain each, over one xensim host. */
class JavaJavaAcrossProcessesTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final long BYTES = 32L << 20;

    @ParameterizedTest(name = "orders {0}/{1}")
    @CsvSource({"11,10", "12,20", "20,20"})
    void twoJvmsMoveDataBothWays(int leftOrder, int rightOrder) throws Exception {
        String path = "/local/domain/0/data/vchan/1/jj" + leftOrder + "x" + rightOrder;
        try (SimulatedHost host = new SimulatedHost()) {
            PeerProcess server = host.javaDriver(0, List.of("server", "--peer", "1", "--path", path,
                    "--read-size", Integer.toString(1 << leftOrder), "--write-size", Integer.toString(1 << rightOrder),
                    "--send", Long.toString(BYTES), "--expect", Long.toString(BYTES), "--seed", "31", "--wait-close"));
            PeerProcess client = host.javaDriver(1, List.of("client", "--peer", "0", "--path", path,
                    "--send", Long.toString(BYTES), "--expect", Long.toString(BYTES), "--seed", "32"));
            assertEquals("orders left=" + leftOrder + " right=" + rightOrder, client.awaitLine("orders", TIMEOUT));
            assertDelivered(BYTES, server, client, TIMEOUT);
            assertDelivered(BYTES, client, server, TIMEOUT);
            client.assertSucceeds(TIMEOUT);
            server.awaitLine("peer-closed", TIMEOUT);
            server.assertSucceeds(TIMEOUT);
        }
    }
}
