package io.vchan.samples.cli.bench;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/** The load of the stream peers (connector Flow and Pekko Tcp): bulk sources, counting sinks, ping-pong. */
final class StreamLoad {

    private StreamLoad() {
    }

    /** {@code total} bytes in elements of {@code size}: one buffer repeated (nothing generated or hashed). */
    static Source<ByteString, NotUsed> bulk(long total, int size) {
        ByteString element = ByteString.fromArrayUnsafe(new byte[size]);
        Source<ByteString, NotUsed> body = Source.repeat(element).take(total / size);
        int rest = (int) (total % size);
        return rest == 0 ? body : body.concat(Source.single(element.take(rest)));
    }

    /**
     * {@code warmup} bytes, then {@code bytes} more, opening {@code cpu} when the first of those is
     * pulled: the sender's side of the CPU window, at no cost per element.
     */
    static Source<ByteString, NotUsed> bulk(long warmup, long bytes, int size, CpuWindow cpu) {
        if (bytes == 0) {
            return bulk(warmup, size);
        }
        return bulk(warmup, size).concat(Source.lazySource(() -> {
            cpu.open();
            return bulk(bytes, size);
        })).mapMaterializedValue(m -> NotUsed.getInstance());
    }

    /** Nothing more until {@code until} completes: keeps a direction open (Tcp closes on completion). */
    static Source<ByteString, NotUsed> holdUntil(CompletionStage<?> until) {
        return Source.completionStage(until).flatMapConcat(x -> Source.<ByteString>empty());
    }

    static Sink<ByteString, CompletionStage<Done>> metering(RxMeter meter) {
        return Sink.foreach(bs -> meter.add(bs.size()));
    }

    /**
     * Client side of the ping-pong: {@code warm + trips} round trips of {@code size} bytes, the last
     * {@code trips} recorded.
     */
    static Rtt pingPong(Flow<ByteString, ByteString, ?> flow, int size, long warm, long trips, Materializer mat)
            throws Exception {
        Rtt rtt = new Rtt();
        ByteString ping = ByteString.fromArrayUnsafe(new byte[size]);
        CompletableFuture<BoundedSourceQueue<ByteString>> queue = new CompletableFuture<>();
        Consumer<ByteString> onPong = new Consumer<>() {
            private long got;
            private long trip;
            private long sentAt = System.nanoTime();

            @Override
            public void accept(ByteString bs) {
                got += bs.size();
                while (got >= size) {
                    got -= size;
                    long now = System.nanoTime();
                    if (trip++ >= warm) {
                        rtt.record(now - sentAt);
                    }
                    BoundedSourceQueue<ByteString> q = queue.join();
                    if (trip == warm + trips) {
                        q.complete();
                    } else {
                        sentAt = System.nanoTime();
                        q.offer(ping);
                    }
                }
            }
        };
        Pair<BoundedSourceQueue<ByteString>, CompletionStage<Done>> run = Source.<ByteString>queue(4)
                .via(flow).toMat(Sink.foreach(onPong::accept), Keep.both()).run(mat);
        queue.complete(run.first());
        run.first().offer(ping);
        run.second().toCompletableFuture().get();
        return rtt;
    }
}
