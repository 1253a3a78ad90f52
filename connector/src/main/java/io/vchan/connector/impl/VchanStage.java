package io.vchan.connector.impl;

import io.vchan.bridge.ring.RingEndpoint;
import io.vchan.bridge.ring.VchanClosedException;
import io.vchan.bridge.xen.DomainId;
import io.vchan.connector.Vchan;
import io.vchan.connector.VchanConnection;
import io.vchan.connector.VchanPeerClosedException;
import io.vchan.connector.VchanIdleTimeoutException;
import io.vchan.connector.VchanPort;
import io.vchan.connector.VchanSettings;
import io.vchan.connector.impl.EndpointProtocol.Chunks;
import io.vchan.connector.impl.EndpointProtocol.Data;
import io.vchan.connector.impl.EndpointProtocol.EndOfStream;
import io.vchan.connector.impl.EndpointProtocol.Failed;
import io.vchan.connector.impl.EndpointProtocol.ReadResult;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.Optional;
import org.apache.pekko.Done;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.stage.AbstractGraphStageWithMaterializedValue;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.AsyncCallback;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.stream.stage.TimerGraphStageLogic;
import org.apache.pekko.util.ByteString;

/**
 * One vchan connection as a {@code Flow<ByteString, ByteString>}. All state
 * lives in the logic; the endpoint actor does the ring work and answers
 * through async callbacks.
 *
 * <ul>
 *   <li>Reading: one {@code Read} is outstanding only while downstream has
 *       pulled and nothing read is left over, so without demand nothing leaves
 *       the ring. A read may take up to read-ahead bytes of what the peer has
 *       already written, as several chunks, handed downstream as it pulls.</li>
 *   <li>Writing (writev batching): pushed elements are concatenated (no copy)
 *       into a batch; while a write is in flight the next batch grows, and
 *       upstream is pulled only while the batch is below the write-buffer size.</li>
 *   <li>Upstream completion: flush, then shut down writing (half-close) or
 *       close; upstream failure closes the channel and fails the stream with
 *       the original cause. Downstream cancellation closes the channel.</li>
 *   <li>The stage keeps going until the actor confirms the channel is closed.</li>
 * </ul>
 */
public final class VchanStage
        extends AbstractGraphStageWithMaterializedValue<FlowShape<ByteString, ByteString>,
                CompletionStage<VchanConnection>> {

    /** Which channel: our role, the domains, the port and its XenStore path. */
    public record Target(boolean server, DomainId self, DomainId peer, VchanPort port, String path) {
    }

    private final Vchan vchan;
    private final VchanSettings settings;
    private final Target target;
    private final Callable<RingEndpoint> opener;
    private final Inlet<ByteString> in = Inlet.create("Vchan.in");
    private final Outlet<ByteString> out = Outlet.create("Vchan.out");
    private final FlowShape<ByteString, ByteString> shape = FlowShape.of(in, out);

    public VchanStage(Vchan vchan, VchanSettings settings, Target target, Callable<RingEndpoint> opener) {
        this.vchan = vchan;
        this.settings = settings;
        this.target = target;
        this.opener = opener;
    }

    @Override
    public FlowShape<ByteString, ByteString> shape() {
        return shape;
    }

    @Override
    public Attributes initialAttributes() {
        return Attributes.name(target.server() ? "vchanServer" : "vchanClient");
    }

    @Override
    public Pair<GraphStageLogic, CompletionStage<VchanConnection>> createLogicAndMaterializedValuePair(
            Attributes inheritedAttributes) {
        CompletableFuture<VchanConnection> connection = new CompletableFuture<>();
        return Pair.create(new Logic(connection), connection);
    }

    private final class Logic extends TimerGraphStageLogic {
        private static final String IDLE = "idle";
        /**
         * A batch smaller than this waits for the rest of the interpreter's round, so
         * small elements share a ring write; a larger one goes at once, as waiting
         * would cost a message and save nothing.
         */
        private static final int COALESCE_BELOW = 16 * 1024;

        private final CompletableFuture<VchanConnection> connection;
        private Vchan.EndpointHandle handle;
        private AsyncCallback<Throwable> onPeer;
        private AsyncCallback<ReadResult> onRead;
        private AsyncCallback<Throwable> onWritten;
        private AsyncCallback<Throwable> onShutdown;
        private AsyncCallback<Optional<Throwable>> onReleased;
        private AsyncCallback<Done> onFlushSoon;
        /** Set once connected: the stage's own ring copies. */
        private DirectRing direct;
        private boolean flushScheduled;

        private boolean connected;
        private boolean readInFlight;
        /** Chunks of the last read not yet pushed (read-ahead). */
        private final ArrayDeque<ByteString> readAhead = new ArrayDeque<>();
        private int writesInFlight;
        /** Full batches that may be in flight at once: enough to refill the whole write ring. */
        private int maxWritesInFlight = 1;
        private ByteString batch = ByteString.emptyByteString();
        private boolean upstreamDone;
        private boolean shutdownSent;
        private boolean writingDone;
        /** Close or abort sent: from here on only the actor's release matters. */
        private boolean closing;
        private long lastActivity = System.nanoTime();

        Logic(CompletableFuture<VchanConnection> connection) {
            super(shape);
            this.connection = connection;
            setHandler(in, new AbstractInHandler() {
                @Override
                public void onPush() {
                    batch = batch.concat(grab(in));
                    if (batch.size() < settings.writeBufferSize()) {
                        pull(in);
                    }
                    if (batch.size() < COALESCE_BELOW) {
                        flushSoon();
                    } else {
                        flush();
                    }
                }

                @Override
                public void onUpstreamFinish() {
                    upstreamDone = true;
                    flush();
                    maybeFinishWriting();
                }

                @Override
                public void onUpstreamFailure(Throwable ex) {
                    fail(ex);
                }
            });
            setHandler(out, new AbstractOutHandler() {
                @Override
                public void onPull() {
                    ByteString next = readAhead.poll();
                    if (next != null) {
                        push(out, next);
                    } else {
                        requestRead();
                    }
                }

                @Override
                public void onDownstreamFinish(Throwable cause) {
                    closeChannel();
                }
            });
        }

        @Override
        public void preStart() {
            // The stage outlives its ports until the actor says the channel is released.
            setKeepGoing(true);
            onPeer = createAsyncCallback(this::peerReady);
            onRead = createAsyncCallback(this::readDone);
            onWritten = createAsyncCallback(this::writeDone);
            onShutdown = createAsyncCallback(this::shutdownDone);
            onReleased = createAsyncCallback(this::released);
            onFlushSoon = createAsyncCallback(d -> {
                flushScheduled = false;
                flush();
            });
            handle = vchan.spawnEndpoint(opener, settings);
            handle.actor().tell(new EndpointProtocol.AwaitPeer(onPeer::invoke));
            handle.closed().whenComplete((ok, err) -> onReleased.invoke(Optional.ofNullable(unwrap(err))));
        }

        private void peerReady(Throwable err) {
            if (closing) {
                return;
            }
            if (err != null) {
                fail(err);
                return;
            }
            RingEndpoint ep = handle.opened().join(); // completed before the actor answers AwaitPeer
            connected = true;
            direct = new DirectRing(ep, handle.counters(), settings.readChunkSize());
            int batchSize = settings.writeBufferSize();
            maxWritesInFlight = 1 + (int) Math.min(64, (ep.writeCapacity() + (long) batchSize - 1) / batchSize);
            connection.complete(new VchanConnection(target.self(), target.peer(), target.port(), target.path(),
                    target.server(), ep.orders(), handle.actor(),
                    handle.closed().thenApply(v -> Done.getInstance()), handle.counters()));
            touch();
            if (!settings.idleTimeout().isZero()) {
                scheduleOnce(IDLE, settings.idleTimeout());
            }
            if (!hasBeenPulled(in) && !isClosed(in)) {
                pull(in);
            }
            requestRead();
            flush();
            maybeFinishWriting();
        }

        /**
         * One read outstanding, and only while downstream wants an element and the
         * previous read is all pushed: the ring is the buffer.
         */
        private void requestRead() {
            if (connected && !readInFlight && !closing && isAvailable(out) && readAhead.isEmpty()) {
                ByteString ready;
                try {
                    ready = direct.read();
                } catch (java.io.IOException e) {
                    fail(e);
                    return;
                }
                if (ready != null) {
                    touch();
                    push(out, ready);
                    return;
                }
                readInFlight = true;
                handle.actor().tell(new EndpointProtocol.Read(settings.readAhead(), onRead::invoke));
            }
        }

        private void readDone(ReadResult result) {
            readInFlight = false;
            if (closing) {
                return; // the answer to a read of a channel we are closing
            }
            if (result instanceof Data d) {
                touch();
                push(out, d.bytes());
            } else if (result instanceof Chunks c) {
                touch();
                push(out, c.chunks().get(0));
                readAhead.addAll(c.chunks().subList(1, c.chunks().size()));
            } else if (result == EndOfStream.INSTANCE) {
                complete(out);
                if (settings.halfClose()) {
                    maybeComplete();
                } else {
                    closeChannel();
                }
            } else if (result == EndpointProtocol.PeerGone.INSTANCE) {
                // Everything the peer wrote has been read, and it is gone: nothing we could still
                // write would arrive. Complete if nothing of ours is pending, else say what was lost.
                complete(out);
                if (writesInFlight > 0 || !batch.isEmpty()) {
                    fail(new VchanPeerClosedException("the peer closed " + target.path()
                            + " before all we wrote was in the ring"));
                } else {
                    closeChannel();
                }
            } else if (result instanceof Failed f) {
                fail(f.cause());
            }
        }

        /**
         * Flushes once the interpreter has handled what is queued now: elements that
         * upstream hands over in one go become one ring write (writev batching),
         * while a lone element waits no longer than that.
         */
        private void flushSoon() {
            if (!flushScheduled) {
                flushScheduled = true;
                onFlushSoon.invoke(Done.getInstance());
            }
        }

        /**
         * Writes the batch. With no write in flight, the stage copies what fits into
         * the ring itself; the rest goes to the actor, and what arrives meanwhile
         * forms the next batch. A full batch goes out at once while fewer than
         * {@link #maxWritesInFlight} writes are in flight (a ring's worth and one more
         * batch), so the actor has the next one queued when the ring frees up, without
         * waiting for our round trip. The batches only reference upstream's bytes.
         */
        private void flush() {
            if (connected && !batch.isEmpty() && !closing && writesInFlight == 0) {
                try {
                    int n = direct.write(batch);
                    if (n > 0) {
                        touch();
                        batch = batch.drop(n);
                        direct.publishNotifications();
                    }
                } catch (java.io.IOException e) {
                    fail(e);
                    return;
                }
                if (batch.isEmpty()) {
                    written();
                    return;
                }
            }
            if (connected && !batch.isEmpty() && !closing && (writesInFlight == 0
                    || (writesInFlight < maxWritesInFlight && batch.size() >= settings.writeBufferSize()))) {
                writesInFlight++;
                ByteString data = batch;
                batch = ByteString.emptyByteString();
                handle.actor().tell(new EndpointProtocol.Write(data, onWritten::invoke));
            }
        }

        private void writeDone(Throwable err) {
            writesInFlight--;
            if (closing) {
                return;
            }
            if (err != null) {
                fail(err);
                return;
            }
            touch();
            flush();
            written();
        }

        /** A write finished: room for more from upstream, or time to finish writing. */
        private void written() {
            if (!isClosed(in) && !hasBeenPulled(in) && batch.size() < settings.writeBufferSize()) {
                pull(in);
            }
            maybeFinishWriting();
        }

        /** Upstream done and everything written: half-close (E1) or close. */
        private void maybeFinishWriting() {
            if (!connected || !upstreamDone || writesInFlight > 0 || !batch.isEmpty() || shutdownSent || closing) {
                return;
            }
            if (settings.halfClose()) {
                shutdownSent = true;
                handle.actor().tell(new EndpointProtocol.ShutdownWrite(onShutdown::invoke));
            } else {
                closeChannel();
            }
        }

        private void shutdownDone(Throwable err) {
            if (closing) {
                return;
            }
            if (err != null) {
                fail(err);
            } else {
                writingDone = true;
                maybeComplete();
            }
        }

        private void maybeComplete() {
            if (writingDone && isClosed(out)) {
                closeChannel();
            }
        }

        /** Closes the channel; the stage completes once the actor has released it. */
        private void closeChannel() {
            if (closing) {
                return;
            }
            closing = true;
            if (!isClosed(in)) {
                cancel(in);
            }
            handle.actor().tell(new EndpointProtocol.Close(() -> { }));
        }

        /**
         * Fails downstream with {@code cause} itself and has the channel closed
         * (the peer sees it). Most failures come from the actor, which has
         * stopped already; telling it again costs a dead letter at most.
         */
        private void fail(Throwable cause) {
            if (closing) {
                return;
            }
            closing = true;
            connection.completeExceptionally(cause);
            handle.actor().tell(new EndpointProtocol.Abort(cause));
            if (!isClosed(out)) {
                fail(out, cause);
            }
            if (!isClosed(in)) {
                cancel(in);
            }
        }

        private void released(Optional<Throwable> failure) {
            if (!closing && failure.isPresent()) {
                fail(failure.get()); // the actor gave up on its own
            }
            completeStage();
        }

        private void touch() {
            lastActivity = System.nanoTime();
        }

        @Override
        public void onTimer(Object key) {
            if (closing) {
                return;
            }
            Duration idle = settings.idleTimeout();
            long quietNanos = System.nanoTime() - lastActivity;
            if (quietNanos >= idle.toNanos()) {
                fail(new VchanIdleTimeoutException("vchan " + target.path(), idle));
            } else {
                scheduleOnce(IDLE, idle.minusNanos(quietNanos));
            }
        }

        @Override
        public void postStop() {
            connection.completeExceptionally(new VchanClosedException("vchan " + target.path()
                    + " closed before the peer connected"));
            // Stopped abruptly (materializer shut down): the actor still releases the channel.
            if (handle != null && !closing) {
                handle.actor().tell(new EndpointProtocol.Close(() -> { }));
            }
        }
    }

    private static Throwable unwrap(Throwable t) {
        return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    }
}
