package io.vchan.connector;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vchan.bridge.testing.PeerProcess;
import io.vchan.bridge.testing.SimulatedHost;
import io.vchan.bridge.testing.TestEnvironment;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The flood from a C process on the bare Xen libraries (vchan-hostile --flood-ms) over xensim. */
class NotificationFloodOverXensimTest extends NotificationFloodContract {

    private static final Pattern REPORT = Pattern.compile("flood notifications=(\\d+) echoed=(\\d+)");

    @Override
    TestPlatform platform() {
        return TestPlatform.XENSIM;
    }

    @Override
    Flooder startFlooder(String path) {
        SimulatedHost host = SimulatedHost.sharedWithThisJvm();
        // it floods at P0 for up to a minute, or until we close
        PeerProcess process = host.start("vchan-hostile-flood", FLOODER.value(), List.of(
                TestEnvironment.testProgram("vchan-hostile").toString(), "--flood-ms", "60000", "--peer", "0",
                "--path-prefix", path.substring(0, path.length() - 1), "--timeout-ms",
                Long.toString(TIMEOUT.toMillis())), true, false, Map.of());
        return new Flooder() {
            @Override
            public void awaitFlooding() throws Exception {
                process.awaitLine("flooding", TIMEOUT);
            }

            @Override
            public void suspend() throws Exception {
                process.suspend(TIMEOUT);
            }

            @Override
            public void resume() throws Exception {
                process.resume();
            }

            @Override
            public long[] report() throws Exception {
                Matcher m = REPORT.matcher(process.awaitLine("flood notifications", TIMEOUT));
                assertTrue(m.matches(), m.toString());
                process.assertSucceeds(TIMEOUT); // exit 4 if an echoed byte was wrong
                return new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))};
            }

            @Override
            public void close() throws Exception {
                host.close();
            }
        };
    }
}
