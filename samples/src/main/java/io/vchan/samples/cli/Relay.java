package io.vchan.samples.cli;

import io.vchan.connector.VchanConnection;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.ClassicActorSystemProvider;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.IOResult;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/** Joins a byte stream (a UNIX socket, stdin and stdout) and a vchan, both ways. */
final class Relay {

    private Relay() {
    }

    /**
     * Runs {@code in} into the vchan and the vchan into {@code out}. Completes
     * once everything from the vchan is written to {@code out} and the vchan is
     * released; fails with the first failure of either. Whoever owns what
     * {@code in} reads from closes it then: a blocking read only ends that way.
     */
    static CompletionStage<Done> run(Source<ByteString, ?> in, Sink<ByteString, CompletionStage<IOResult>> out,
            Flow<ByteString, ByteString, CompletionStage<VchanConnection>> vchan, Progress progress,
            ClassicActorSystemProvider system) {
        Pair<CompletionStage<VchanConnection>, CompletionStage<IOResult>> running = in
                .via(progress.toVchan())
                .viaMat(vchan, Keep.right())
                .via(progress.fromVchan())
                .toMat(out, Keep.both())
                .run(system);
        return running.second()
                .thenCompose(written -> running.first())
                .thenCompose(VchanConnection::whenClosed);
    }
}
