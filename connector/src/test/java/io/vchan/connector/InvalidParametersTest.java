package io.vchan.connector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.vchan.bridge.ring.RingOrders;
import io.vchan.bridge.ring.VchanPath;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.function.Executable;

/**
 * Every invalid parameter and the exact error it produces: each row here is a
 * row of the README's table, and the README must show the message verbatim.
 */
class InvalidParametersTest {

    private static final VchanSettings DEFAULTS = VchanSettings.create(ConfigFactory.load().getConfig("vchan"));

    record Row(String parameter, Executable call, String message) {
    }

    static List<Row> rows() {
        return List.of(
                new Row("port name", () -> VchanPort.of("bad port"),
                        "invalid vchan port name 'bad port': use one or more of [a-zA-Z0-9_-]"),
                new Row("port name too long for its domains", () -> VchanPort.of("p".repeat(21))
                        .path(DomainId.of(0), DomainId.of(1)),
                        "vchan port name 'ppppppppppppppppppppp' is too long: path /local/domain/0/data/vchan/1/"
                                + "ppppppppppppppppppppp has 50 characters, at most 49 fit libxenvchan's 64-byte"
                                + " key buffer (20 for the port name between these domains)"),
                new Row("explicit XenStore path", () -> VchanPath.validate("/local//x"),
                        "invalid XenStore path '/local//x': elements of [a-zA-Z0-9_-] separated by single '/'"),
                new Row("domain id", () -> DomainId.of(32752),
                        "domain id 32752 is outside 0..32751 (ids from 32752 up are reserved by Xen)"),
                new Row("ring size", () -> DEFAULTS.withReadRingSize(2 << 20),
                        "read-ring-size must be in 0..1048576 (1 MiB), not 2097152"),
                new Row("ring size (negative)", () -> DEFAULTS.withWriteRingSize(-1),
                        "write-ring-size must be in 0..1048576 (1 MiB), not -1"),
                new Row("ring size (protocol layer)", () -> RingOrders.forServer(4096, (1 << 20) + 1),
                        "write size 1048577 is above 1048576 (2^20): the control page has room for the grant"
                                + " refs of two 1 MiB rings only"),
                new Row("write buffer size", () -> DEFAULTS.withWriteBufferSize(0),
                        "write-buffer-size must be positive, not 0"),
                new Row("read chunk size", () -> DEFAULTS.withReadChunkSize(-5),
                        "read-chunk-size must be positive, not -5"),
                new Row("event-loop threads", () -> systemSettings("event-loop-threads = 0"),
                        "vchan.event-loop-threads must be positive, not 0"),
                new Row("connect timeout", () -> DEFAULTS.withConnectTimeout(Duration.ofSeconds(-1)),
                        "connect-timeout must be a positive duration, not PT-1S"),
                new Row("idle timeout", () -> DEFAULTS.withIdleTimeout(Duration.ZERO),
                        "idle-timeout must be a positive duration, not PT0S"),
                new Row("spin before sleep", () -> DEFAULTS.withSpinBeforeSleep(-1),
                        "spin-before-sleep must be >= 0, not -1"),
                new Row("platform", () -> systemSettings("platform = kvm"),
                        "vchan.platform must be auto, xen, xensim or in-jvm, not 'kvm'"),
                new Row("xensim domain", () -> systemSettings("xensim.domain = guest"),
                        "vchan.xensim.domain must be auto or a domain id, not 'guest'"),
                new Row("local domain", () -> VchanSettings.create(ConfigFactory.parseString("local-domain = x")
                                .withFallback(ConfigFactory.load().getConfig("vchan"))),
                        "vchan.local-domain must be auto or a domain id, not 'x'"));
    }

    private static VchanSystemSettings systemSettings(String line) {
        return VchanSystemSettings.create(ConfigFactory.parseString(line)
                .withFallback(ConfigFactory.load().getConfig("vchan")));
    }

    @TestFactory
    Stream<DynamicTest> eachInvalidParameterIsRefusedWithItsMessage() {
        return rows().stream().map(row -> DynamicTest.dynamicTest(row.parameter(), () -> {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, row.call());
            assertEquals(row.message(), e.getMessage());
        }));
    }

    @TestFactory
    Stream<DynamicTest> theReadmeTableShowsEachMessage() throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));
        return rows().stream().map(row -> DynamicTest.dynamicTest(row.parameter(), () ->
                assertTrue(readme.contains("| " + row.parameter() + " |") && readme.contains(row.message()),
                        "README.md lacks the row '" + row.parameter() + "' with: " + row.message())));
    }
}
