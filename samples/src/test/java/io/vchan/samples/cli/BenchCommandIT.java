package io.vchan.samples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vchan.bridge.testing.TestEnvironment;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code vchan bench --quick}, as CI runs it: all four implementations, every
 * section of the table and of the JSON present and filled. Nothing about speed.
 */
class BenchCommandIT {

    private static final List<String> IMPLS = List.of("(a) connector Flow<->Flow", "(b) native-bridge raw",
            "(c) libxenvchan (C)", "(d) Pekko Tcp 127.0.0.1");

    @Test
    void quickBenchPrintsTheTableAndWritesTheJson() throws Exception {
        Path json = Path.of("target/bench.json");
        Files.deleteIfExists(json);
        Path stderr = Path.of("target/bench-stderr.txt");
        Process bench = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dvchan.xensim.libdir=" + TestEnvironment.xensimLibDir(),
                "-jar", System.getProperty("vchan.jar"), "bench", "--quick", "--json", json.toString(),
                "--c-driver", TestEnvironment.testProgram("vchan-driver").toString(),
                "--xen-libdir", TestEnvironment.debianLibDir().toString())
                .redirectError(stderr.toFile())
                .start();
        String out = new String(bench.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(bench.waitFor(5, TimeUnit.MINUTES), "vchan bench --quick did not finish");
        String err = Files.readString(stderr);
        assertEquals(0, bench.exitValue(), out + "\n--- stderr:\n" + err);

        for (String section : List.of("Bulk throughput", "Round-trip latency", "Scale:")) {
            assertTrue(out.contains(section), section + " missing:\n" + out);
        }
        for (String impl : IMPLS) {
            assertTrue(out.lines().filter(l -> l.startsWith(impl)).count() == 1, impl + " row missing:\n" + out);
        }
        assertTrue(out.lines().anyMatch(l -> l.startsWith("64 KiB    one-way")), out);
        assertTrue(out.lines().anyMatch(l -> l.startsWith("64 KiB    both ways")), out);
        assertTrue(out.lines().anyMatch(l -> l.startsWith("10        ")), out);
        assertFalse(out.contains("FAILED"), out);

        JsonNode root = new ObjectMapper().readTree(json.toFile());
        assertEquals("vchan bench", root.get("tool").asText());
        assertTrue(root.get("config").get("quick").asBoolean());
        // quick sizes the warm-up by bytes only; a full run by the case's last rate too
        assertEquals(0.0, root.get("config").get("least_warmup_seconds_per_run").asDouble());
        assertEquals(0, root.get("failures").size(), root.get("failures").toString());
        assertEquals(0, root.get("skipped").size(), root.get("skipped").toString());
        JsonNode throughput = root.get("throughput");
        assertEquals(8, throughput.size()); // 4 implementations x (one-way, both) at 64 KiB
        for (JsonNode row : throughput) {
            assertEquals(65536, row.get("element_bytes").asInt());
            assertEquals("MB/s", row.get("unit").asText());
            assertTrue(row.get("median").isNumber() && row.get("median").asDouble() > 0, row.toString());
            assertEquals(1, row.get("runs").size(), row.toString());
            // each peer's CPU over its window, and the window itself, are beside the rate
            assertTrue(row.get("cpu_seconds_per_gb").get("median").asDouble() > 0, row.toString());
            assertTrue(row.get("window_seconds").get("median").asDouble() > 0, row.toString());
        }
        JsonNode latency = root.get("latency");
        assertEquals(4, latency.size());
        for (JsonNode row : latency) {
            for (String p : List.of("p50", "p99", "p999", "max")) {
                assertTrue(row.get(p).get("median").asDouble() > 0, row.toString());
            }
            assertTrue(row.get("p50").get("median").asDouble() <= row.get("p999").get("median").asDouble(),
                    row.toString());
        }
        JsonNode scale = root.get("scale");
        assertEquals(2, scale.size());
        assertEquals(List.of(1, 10),
                List.of(scale.get(0).get("channels").asInt(), scale.get(1).get("channels").asInt()));
        for (JsonNode row : scale) {
            for (String f : List.of("open_ms", "aggregate", "threads_server", "threads_client")) {
                assertTrue(row.get(f).get("median").isNumber(), row.toString());
            }
        }
        assertTrue(new File(json.toString()).length() > 0);
    }
}
