package io.vchan.bridge.xensim;

import static io.vchan.bridge.testing.DriverReport.assertDelivered;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vchan.bridge.testing.PeerProcess;
import io.vchan.bridge.testing.SimulatedHost;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Debian's unmodified libxenvchan runs on xensim: a server and a client, each
 * its own process, move random data both ways at every kind of ring size
 * (in-page 10 and 11, granted 12 and up) and agree on every byte.
 */
class LibxenvchanOverXensimTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final long BYTES = 64L << 20;

    @ParameterizedTest(name = "left order {0}, right order {1}")
    @CsvSource({"10,11", "11,10", "11,12", "12,11", "11,20", "20,11", "12,12", "12,20", "20,12", "20,20"})
    void movesDataBothWaysAtEveryRingSize(int leftOrder, int rightOrder) throws Exception {
        String path = "/local/domain/0/data/vchan/1/orders" + leftOrder + "x" + rightOrder;
        try (SimulatedHost host = new SimulatedHost()) {
            PeerProcess server = host.libxenvchanDriver(0, List.of("server", "--peer", "1", "--path", path,
                    "--read-size", Integer.toString(1 << leftOrder),
                    "--write-size", Integer.toString(1 << rightOrder),
                    "--send", Long.toString(BYTES), "--expect", Long.toString(BYTES), "--seed", "11"));
            PeerProcess client = host.libxenvchanDriver(1, List.of("client", "--peer", "0", "--path", path,
                    "--send", Long.toString(BYTES), "--expect", Long.toString(BYTES), "--seed", "12"));

            String orders = "orders left=" + leftOrder + " right=" + rightOrder;
            assertEquals(orders, server.awaitLine("orders", TIMEOUT));
            assertEquals(orders, client.awaitLine("orders", TIMEOUT));
            assertDelivered(BYTES, server, client, TIMEOUT);
            assertDelivered(BYTES, client, server, TIMEOUT);
            server.assertSucceeds(TIMEOUT);
            client.assertSucceeds(TIMEOUT);
        }
    }
}
