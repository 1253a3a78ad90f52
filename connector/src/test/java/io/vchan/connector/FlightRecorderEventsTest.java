package io.vchan.connector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletionStage;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

/**
 * The flight recorder sees each channel's set-up and release, and the waits
 * of a writer that fills the ring: through a 4 KiB ring, 4 MiB cannot go
 * without waiting for the reader.
 */
class FlightRecorderEventsTest extends VchanTestSupport {

    @Override
    TestPlatform platform() {
        return TestPlatform.IN_JVM;
    }

    @Test
    void connectCloseAndRingFullAreRecorded() throws Exception {
        VchanPort port = freshPort();
        String path = port.path(SERVER, CLIENT);
        Path file = Files.createTempFile("vchan-", ".jfr");
        long ringFullWaits;
        try (Recording recording = new Recording()) {
            for (String name : List.of("io.vchan.Connect", "io.vchan.Close", "io.vchan.RingFull")) {
                recording.enable(name).withoutThreshold();
            }
            recording.start();
            VchanSettings small = serverSettings().withReadRingSize(4096).withWriteRingSize(4096);
            CompletionStage<VchanConnection> server = vchan.server(CLIENT, port, small)
                    .join(Flow.of(ByteString.class)).run(mat);
            Pair<CompletionStage<VchanConnection>, CompletionStage<Long>> run = Source.repeat(
                            ByteString.fromArrayUnsafe(new byte[64 * 1024])).take(64)
                    .viaMat(vchan.client(SERVER, port, clientSettings()), Keep.right())
                    .toMat(Sink.fold(0L, (n, b) -> n + b.size()), Keep.both())
                    .run(mat);
            assertEquals(4L << 20, await(run.second()));
            VchanConnection conn = await(run.first());
            await(conn.whenClosed());
            await(await(server).whenClosed()); // each end's Close is committed before its whenClosed completes
            ringFullWaits = conn.ringFullWaits() + await(server).ringFullWaits();
            recording.stop();
            recording.dump(file);
        }
        List<RecordedEvent> ours = RecordingFile.readAllEvents(file).stream()
                .filter(e -> path.equals(e.getString("path"))).toList();
        Files.delete(file);

        assertEquals(List.of("client", "server"), roles(ours, "io.vchan.Connect"), "one Connect per end");
        ours.stream().filter(e -> type(e).equals("io.vchan.Connect"))
                .forEach(e -> assertEquals("", e.getString("failure")));
        List<RecordedEvent> closes = ours.stream().filter(e -> type(e).equals("io.vchan.Close")).toList();
        assertEquals(2, closes.size(), "one Close per end: " + closes);
        closes.forEach(e -> assertEquals(4L << 20, e.getLong("bytesIn")));
        assertTrue(ringFullWaits > 0, "4 MiB through a 4 KiB ring waited for the reader");
        long fullEvents = ours.stream().filter(e -> type(e).equals("io.vchan.RingFull")).count();
        assertTrue(fullEvents > 0, "ring-full waits recorded: " + fullEvents + " of " + ringFullWaits + "+ waits");
    }

    private static String type(RecordedEvent e) {
        return e.getEventType().getName();
    }

    private static List<String> roles(List<RecordedEvent> events, String type) {
        return events.stream().filter(e -> type(e).equals(type)).map(e -> e.getString("role")).sorted().toList();
    }
}
