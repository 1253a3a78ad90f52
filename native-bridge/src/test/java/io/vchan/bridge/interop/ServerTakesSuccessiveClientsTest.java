package io.vchan.bridge.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vchan.bridge.testing.DriverReport;
import io.vchan.bridge.testing.PeerProcess;
import io.vchan.bridge.testing.SimulatedHost;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Our server resets its page and republishes after a client leaves, so the
 * next client (a new process each time, libxenvchan or Java) connects to the
 * same channel: the event port Xen returned to unbound, the same grants.
 */
class ServerTakesSuccessiveClientsTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final int CLIENTS = 3;
    private static final long BYTES = 1L << 20;

    @ParameterizedTest(name = "{0} clients")
    @ValueSource(strings = {"libxenvchan", "java"})
    void threeClientsOneAfterAnother(String clientKind) throws Exception {
        String path = "/local/domain/0/data/vchan/1/next-" + clientKind.charAt(0);
        try (SimulatedHost host = new SimulatedHost()) {
            PeerProcess server = host.javaDriver(0, List.of("server", "--peer", "1", "--path", path,
                    "--clients", Integer.toString(CLIENTS), "--send", Long.toString(BYTES),
                    "--expect", Long.toString(BYTES), "--wait-close"));
            for (int session = 1; session <= CLIENTS; session++) {
                List<String> args = List.of("client", "--peer", "0", "--path", path,
                        "--send", Long.toString(BYTES), "--expect", Long.toString(BYTES),
                        "--seed", Integer.toString(100 + session));
                PeerProcess client = clientKind.equals("java") ? host.javaDriver(1, args)
                        : host.libxenvchanDriver(1, args);
                assertEquals(DriverReport.sent(server, session, TIMEOUT), DriverReport.received(client, TIMEOUT),
                        "session " + session + ": server to client");
                assertEquals(DriverReport.sent(client, TIMEOUT), DriverReport.received(server, session, TIMEOUT),
                        "session " + session + ": client to server");
                client.assertSucceeds(TIMEOUT);
                server.awaitLine("peer-closed", session, TIMEOUT);
            }
            server.assertSucceeds(TIMEOUT);
        }
    }
}
