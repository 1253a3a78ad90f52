package io.vchan.testkit;

import io.vchan.connector.VchanConnection;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.testkit.TestPublisher;
import org.apache.pekko.stream.testkit.TestSubscriber;
import org.apache.pekko.stream.testkit.javadsl.TestSink;
import org.apache.pekko.stream.testkit.javadsl.TestSource;
import org.apache.pekko.util.ByteString;

/**
 * Both ends of a connected channel, each with a probe for what it sends and one
 * for what it receives.
 *
 * @param server the end that published the channel
 * @param client the end that connected
 */
public record ConnectedPair(End server, End client) {

    /**
     * One end: {@code out} sends to the peer, {@code in} receives from it.
     *
     * @param out        what this end sends
     * @param in         what this end receives
     * @param connection the connection, once connected
     * @param connected  completes with the connection
     */
    public record End(TestPublisher.Probe<ByteString> out, TestSubscriber.Probe<ByteString> in,
            VchanConnection connection, CompletionStage<VchanConnection> connected) {

        static End run(VchanTestKit kit, Flow<ByteString, ByteString, CompletionStage<VchanConnection>> flow) {
            var system = kit.system().classicSystem();
            Pair<Pair<TestPublisher.Probe<ByteString>, CompletionStage<VchanConnection>>,
                    TestSubscriber.Probe<ByteString>> m = TestSource.<ByteString>probe(system)
                    .viaMat(flow, Keep.both())
                    .toMat(TestSink.<ByteString>probe(system), Keep.both())
                    .run(kit.materializer());
            return new End(m.first().first(), m.second(), null, m.first().second());
        }

        End awaitConnected() {
            try {
                return new End(out, in, connected.toCompletableFuture().get(VchanTestKit.TIMEOUT.toMillis(),
                        TimeUnit.MILLISECONDS), connected);
            } catch (Exception e) {
                throw new AssertionError("not connected within " + VchanTestKit.TIMEOUT.toSeconds() + " s", e);
            }
        }

        /**
         * Sends {@code text} (UTF-8) to the peer.
         *
         * @param text what to send
         */
        public void send(String text) {
            out.sendNext(ByteString.fromString(text));
        }

        /**
         * Receives exactly {@code bytes} bytes, however the ring chunked them.
         *
         * @param bytes how many
         * @return the bytes, in order
         */
        public ByteString receive(int bytes) {
            ByteString got = ByteString.emptyByteString();
            while (got.size() < bytes) {
                in.request(1);
                got = got.concat(in.expectNext());
            }
            if (got.size() > bytes) {
                throw new AssertionError("expected " + bytes + " bytes, got " + got.size() + ": " + got);
            }
            return got;
        }

        /** Completes what this end sends (a half-close) and cancels what it receives: the channel closes. */
        public void close() {
            out.sendComplete();
            in.cancel();
        }
    }

    /** Closes both ends. */
    public void close() {
        client.close();
        server.close();
    }
}
