package io.vchan.bridge.interop;

import static io.vchan.bridge.testing.DriverReport.assertDelivered;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vchan.bridge.testing.PeerProcess;
import io.vchan.bridge.testing.SimulatedHost;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Our protocol code is wire-compatible with Debian's libxenvchan in both
 * roles: a Java process and a libxenvchan process, on one xensim host, move
 * random data both ways at every ring-size pair and agree on every byte.
 */
class JavaLibxenvchanInteropTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(90);
    private static final long BYTES = 16L << 20;
    private static final int[][] ORDER_PAIRS = {
        {10, 11}, {11, 10}, {11, 12}, {12, 11}, {11, 20}, {20, 11}, {12, 12}, {12, 20}, {20, 12}, {20, 20},
    };

    static Stream<Arguments> rolesAndOrders() {
        List<Arguments> cases = new ArrayList<>();
        for (String javaRole : List.of("server", "client")) {
            for (int[] pair : ORDER_PAIRS) {
                cases.add(Arguments.of(javaRole, pair[0], pair[1]));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "Java {0}, orders left {1} right {2}")
    @MethodSource("rolesAndOrders")
    void javaAndLibxenvchanMoveDataBothWays(String javaRole, int leftOrder, int rightOrder) throws Exception {
        String path = "/local/domain/0/data/vchan/1/interop-" + javaRole + leftOrder + "x" + rightOrder;
        List<String> serverArgs = List.of("server", "--peer", "1", "--path", path,
                "--read-size", Integer.toString(1 << leftOrder), "--write-size", Integer.toString(1 << rightOrder),
                "--send", Long.toString(BYTES), "--expect", Long.toString(BYTES), "--seed", "21", "--wait-close");
        List<String> clientArgs = List.of("client", "--peer", "0", "--path", path,
                "--send", Long.toString(BYTES), "--expect", Long.toString(BYTES), "--seed", "22");
        try (SimulatedHost host = new SimulatedHost()) {
            boolean javaServes = javaRole.equals("server");
            PeerProcess server = javaServes ? host.javaDriver(0, serverArgs) : host.libxenvchanDriver(0, serverArgs);
            PeerProcess client = javaServes ? host.libxenvchanDriver(1, clientArgs) : host.javaDriver(1, clientArgs);

            String orders = "orders left=" + leftOrder + " right=" + rightOrder;
            assertEquals(orders, server.awaitLine("orders", TIMEOUT));
            assertEquals(orders, client.awaitLine("orders", TIMEOUT));
            assertDelivered(BYTES, server, client, TIMEOUT);
            assertDelivered(BYTES, client, server, TIMEOUT);
            client.assertSucceeds(TIMEOUT);
            // the client's close reaches the server, whichever library wrote either end
            server.awaitLine("peer-closed", TIMEOUT);
            server.assertSucceeds(TIMEOUT);
        }
    }
}
