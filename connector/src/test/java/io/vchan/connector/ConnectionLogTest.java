package io.vchan.connector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.vchan.bridge.xen.GrantMapper;
import io.vchan.bridge.xen.MappedPages;
import io.vchan.bridge.xen.XenStore;
import io.vchan.connector.impl.Domains;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.testkit.TestPublisher;
import org.apache.pekko.stream.testkit.TestSubscriber;
import org.apache.pekko.stream.testkit.javadsl.TestSink;
import org.apache.pekko.stream.testkit.javadsl.TestSource;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * What the connector logs of a connection, through SLF4J (here logback): connected
 * and closed at debug, a failure at info, a peer breaking the protocol at
 * warning; each line with the channel in the MDC.
 */
class ConnectionLogTest extends VchanTestSupport {

    /**
     * Takes each event's MDC on the thread that logged it: read later, from the
     * test's thread, logback would take that thread's (empty) one instead.
     */
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>() {
        @Override
        protected void append(ILoggingEvent e) {
            e.prepareForDeferredProcessing();
            super.append(e);
        }
    };
    private Logger logger;
    private Level levelBefore;

    @Override
    TestPlatform platform() {
        return TestPlatform.IN_JVM;
    }

    @BeforeEach
    void capture() {
        logger = (Logger) LoggerFactory.getLogger("io.vchan.connector.VchanConnection");
        levelBefore = logger.getLevel();
        logger.setLevel(Level.DEBUG);
        appender.start();
        logger.addAppender(appender);
    }

    @AfterEach
    void release() {
        logger.detachAppender(appender);
        logger.setLevel(levelBefore);
    }

    private List<ILoggingEvent> events(String path, String containing) {
        synchronized (appender) {
            return List.copyOf(appender.list).stream()
                    .filter(e -> path.equals(e.getMDCPropertyMap().get("vchanPath")))
                    .filter(e -> e.getFormattedMessage().contains(containing))
                    .toList();
        }
    }

    @Test
    void connectedAndClosedAtDebugWithTheChannelInTheMdc() throws Exception {
        VchanPort port = freshPort();
        String path = port.path(SERVER, CLIENT);
        vchan.server(CLIENT, port, serverSettings()).join(Flow.of(ByteString.class)).run(mat);
        String echoed = await(Source.single(ByteString.fromString("hi"))
                .via(vchan.client(SERVER, port, clientSettings()))
                .runFold(ByteString.emptyByteString(), ByteString::concat, mat)).utf8String();
        assertEquals("hi", echoed);

        eventually("both ends logged their close", () -> events(path, ": closed").size() == 2);
        List<ILoggingEvent> connected = events(path, ": connected");
        assertEquals(2, connected.size(), "one 'connected' per end: " + appender.list);
        for (ILoggingEvent e : connected) {
            assertEquals(Level.DEBUG, e.getLevel());
            assertEquals(port.name(), e.getMDCPropertyMap().get("vchanPort"));
        }
        assertEquals(List.of("client", "server"), connected.stream()
                .map(e -> e.getMDCPropertyMap().get("vchanRole")).sorted().toList());
        ILoggingEvent clientClosed = events(path, ": closed").stream()
                .filter(e -> "client".equals(e.getMDCPropertyMap().get("vchanRole"))).findFirst().orElseThrow();
        assertEquals(Level.DEBUG, clientClosed.getLevel());
        assertEquals("1", clientClosed.getMDCPropertyMap().get("vchanLocalDomain"));
        assertEquals("0", clientClosed.getMDCPropertyMap().get("vchanPeerDomain"));
        assertTrue(clientClosed.getFormattedMessage().contains("2 bytes in, 2 bytes out"),
                clientClosed.getFormattedMessage());
    }

    @Test
    void aFailureAtInfo() throws Exception {
        VchanPort port = freshPort();
        String path = port.path(SERVER, CLIENT);
        Throwable failure = failureOf(Source.<ByteString>empty()
                .via(vchan.client(SERVER, port, clientSettings().withConnectTimeout(Duration.ofMillis(200))))
                .runFold(ByteString.emptyByteString(), ByteString::concat, mat));
        assertInstanceOf(VchanConnectTimeoutException.class, failure);

        eventually("the failure is logged", () -> events(path, ": failed: ").size() == 1);
        ILoggingEvent e = events(path, ": failed: ").get(0);
        assertEquals(Level.INFO, e.getLevel());
        assertEquals("client", e.getMDCPropertyMap().get("vchanRole"));
    }

    @Test
    void aPeerThatBreaksTheProtocolAtWarning() throws Exception {
        VchanPort port = freshPort();
        String path = port.path(SERVER, CLIENT);
        var serverSide = vchan.server(CLIENT, port, serverSettings())
                .joinMat(Flow.of(ByteString.class), Keep.left()).run(mat);
        var client = TestSource.<ByteString>probe(system.classicSystem())
                .viaMat(vchan.client(SERVER, port, clientSettings()), Keep.both())
                .toMat(TestSink.<ByteString>probe(system.classicSystem()), Keep.both()).run(mat);
        TestPublisher.Probe<ByteString> up = client.first().first();
        CompletionStage<VchanConnection> conn = client.first().second();
        TestSubscriber.Probe<ByteString> down = client.second();
        await(conn);
        await(serverSide);

        // As a hostile client would: map the server's control page and claim more data than its ring holds
        // (the ring the server reads, "left": its producer index at byte 4).
        try (XenStore xs = vchan.runtime().platform().openXenStore(Domains.bridge(CLIENT));
                GrantMapper mapper = vchan.runtime().platform().openGrantMapper(Domains.bridge(CLIENT))) {
            int ref = Integer.parseInt(new String(xs.read(0, path + "/ring-ref").orElseThrow(),
                    StandardCharsets.US_ASCII).trim());
            try (MappedPages page = mapper.map(Domains.bridge(SERVER), new int[] {ref}, true)) {
                var control = page.memory().order(ByteOrder.LITTLE_ENDIAN);
                control.putInt(4, control.getInt(0) + (1 << 30));
            }
        }
        up.sendNext(ByteString.fromString("x")); // the event that makes the server look
        down.request(1);
        down.expectError();

        eventually("the server's protocol error is logged", () -> events(path, "broke the protocol").stream()
                .anyMatch(e -> "server".equals(e.getMDCPropertyMap().get("vchanRole"))));
        events(path, "broke the protocol").forEach(e -> assertEquals(Level.WARN, e.getLevel()));
    }
}
