package io.vchan.samples.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.IOResult;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.StreamConverters;
import org.apache.pekko.util.ByteString;

/** The process's stdin and stdout as streams, for a command that may end while stdin is still open. */
final class Stdio {

    /** Backpressure from the vchan may hold a stdin chunk back as long as the peer is slow. */
    private static final Duration NO_TIMEOUT = Duration.ofDays(36_500);

    private Stdio() {
    }

    /**
     * stdin, read by a daemon thread rather than in the stream: a read of an open
     * stdin cannot be interrupted, and in a stream it would keep the actor system
     * (and the JVM's exit, through coordinated shutdown) waiting for its end.
     */
    static Source<ByteString, NotUsed> stdin() {
        return StreamConverters.asOutputStream(NO_TIMEOUT).mapMaterializedValue(sink -> {
            Thread pump = new Thread(() -> copy(System.in, sink), "vchan-stdin");
            pump.setDaemon(true);
            pump.start();
            return NotUsed.getInstance();
        });
    }

    static Sink<ByteString, CompletionStage<IOResult>> stdout() {
        return StreamConverters.fromOutputStream(() -> System.out, true).async(UnixSocketFlows.BLOCKING);
    }

    private static void copy(InputStream in, OutputStream out) {
        byte[] buf = new byte[65536];
        try (out) {
            for (int n; (n = in.read(buf)) >= 0; ) {
                out.write(buf, 0, n);
            }
        } catch (IOException streamEnded) {
            // the stream is done with stdin; nothing left to copy to
        }
    }
}
