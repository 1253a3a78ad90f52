package io.vchan.connector.impl;

import io.vchan.bridge.ring.RingEndpoint;
import io.vchan.connector.VchanClosedException;
import io.vchan.connector.VchanConnection;
import io.vchan.connector.VchanIdleTimeoutException;
import io.vchan.connector.VchanSettings;
import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.annotation.InternalApi;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.SubscriptionWithCancelException;
import org.apache.pekko.stream.stage.AbstractGraphStageWithMaterializedValue;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.AsyncCallback;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.stream.stage.TimerGraphStageLogic;
import org.apache.pekko.util.ByteString;
/**
 * One vchan connection as a {@code Flow<ByteString, ByteString>}. The endpoint
 * actor opens the channel, waits for the peer and releases everything at the
 * end; once connected, the stage drives the ring itself, on its own thread,
 * and the port's events come straight to it: a copy needs no message, and a
 * wake-up costs one thread hop (event loop to stage).
 *
 * <ul>
 *   <li>Reading: only while downstream has pulled, one fresh chunk per pull,
 *       so without demand nothing leaves the ring and the peer is
 *       backpressured. An empty ring: look a few more times, then ask the peer
 *       for an event and wait.</li>
 *   <li>Writing (writev batching): pushed elements are concatenated (no copy)
 *       and copied into the ring as space allows; small elements that arrive
 *       in one go share a ring write. Upstream is pulled while what is not yet
 *       in the ring is below the write-buffer size.</li>
 *   <li>Upstream completion: flush, then shut down writing (half-close) or
 *       close; upstream failure closes the channel and fails the stream with
 *       the original cause. Downstream cancellation closes the channel.</li>
 *   <li>The stage keeps going until the actor confirms the channel is released.</li>
 * </ul>
 */
@InternalApi
public final class VchanStage
        extends AbstractGraphStageWithMaterializedValue<FlowShape<ByteString, ByteString>,
                CompletionStage<VchanConnection>> {

    private final VchanRuntime runtime;
    private final VchanSettings settings;
    private final Target target;
    private final EndpointOpener opener;
    private final Inlet<ByteString> in = Inlet.create("Vchan.in");
    private final Outlet<ByteString> out = Outlet.create("Vchan.out");
    private final FlowShape<ByteString, ByteString> shape = FlowShape.of(in, out);

    public VchanStage(VchanRuntime runtime, VchanSettings settings, Target target, EndpointOpener opener) {
        this.runtime = runtime;
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
         * Bytes below this wait for the rest of the interpreter's round, so small
         * elements share a ring write; more go at once, as waiting would cost a
         * message and save nothing.
         */
        private static final int COALESCE_BELOW = 16 * 1024;

        private final CompletableFuture<VchanConnection> connection;
        private EndpointHandle handle;
        private AsyncCallback<Throwable> onPeer;
        private AsyncCallback<Done> onPortFired;
        private AsyncCallback<Done> onFlushSoon;
        private AsyncCallback<Optional<Throwable>> onReleased;

        /** Set once the peer is there. */
        private ChunkedRing ring;
        private RingEndpoint endpoint;
        /** From upstream, not yet in the ring. */
        private ByteString pending = ByteString.emptyByteString();
        private boolean flushScheduled;
        private boolean upstreamDone;
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
                    pending = pending.concat(grab(in));
                    if (pending.size() < settings.writeBufferSize()) {
                        pull(in);
                    }
                    if (pending.size() < COALESCE_BELOW) {
                        flushSoon();
                    } else {
                        flush();
                    }
                }

                @Override
                public void onUpstreamFinish() {
                    upstreamDone = true;
                    flush();
                }

                @Override
                public void onUpstreamFailure(Throwable ex) {
                    fail(ex);
                }
            });
            setHandler(out, new AbstractOutHandler() {
                @Override
                public void onPull() {
                    read();
                }

                @Override
                public void onDownstreamFinish(Throwable cause) {
                    if (cause instanceof SubscriptionWithCancelException.NonFailureCancellation) {
                        closeChannel(); // downstream has had enough: an orderly close
                    } else {
                        fail(cause); // downstream failed: as Tcp aborts its connection
                    }
                }
            });
        }

        @Override
        public void preStart() {
            // The stage outlives its ports until the actor says the channel is released.
            setKeepGoing(true);
            onPeer = createAsyncCallback(this::peerReady);
            onPortFired = createAsyncCallback(d -> portFired());
            onFlushSoon = createAsyncCallback(d -> {
                flushScheduled = false;
                flush();
            });
            onReleased = createAsyncCallback(this::released);
            handle = runtime.spawnEndpoint(target, opener, settings);
            handle.actor().tell(new EndpointProtocol.AwaitPeer(onPeer::invoke));
            handle.closed().whenComplete((ok, err) -> onReleased.invoke(
                    Optional.ofNullable(err).map(Failures::toApi)));
        }

        private void peerReady(Throwable err) {
            if (closing) {
                return;
            }
            if (err != null) {
                fail(Failures.toApi(err));
                return;
            }
            endpoint = handle.opened().join(); // completed before the actor answers AwaitPeer
            ring = new ChunkedRing(target, endpoint, handle.counters(), settings.readChunkSize());
            // From here on the ring is ours: its events too. We look at it right after, so none is missed.
            handle.route().take(() -> onPortFired.invoke(Done.getInstance()));
            connection.complete(new OpenConnection(target, endpoint.orders(), handle.actor(),
                    handle.whenClosed(), handle.counters()));
            touch();
            settings.idleTimeout().ifPresent(idle -> scheduleOnce(IDLE, idle));
            if (!hasBeenPulled(in) && !isClosed(in)) {
                pull(in);
            }
            read();
            flush();
        }

        private void portFired() {
            if (ring == null || closing) {
                return;
            }
            ring.countEvent();
            // writes first: if the peer is gone, what we could not deliver must fail the stream
            flush();
            read();
            handle.route().rearm(closing, handle.counters().bytesMoved());
        }

        /**
         * Pushes a fresh chunk if downstream wants one and the ring has data; at
         * end of stream completes; otherwise waits for the port.
         */
        private void read() {
            if (ring == null || closing || !isAvailable(out)) {
                return;
            }
            EndpointProtocol.ReadResult result;
            try {
                result = ring.readOrArm(settings.spinBeforeSleep());
            } catch (IOException | RuntimeException e) {
                ringFailed(e);
                return;
            }
            if (result instanceof EndpointProtocol.Data d) {
                touch();
                push(out, d.bytes());
            } else if (result != null) {
                endOfStream(result == EndpointProtocol.PeerGone.INSTANCE);
            } // else the peer signals when it writes
        }

        private void endOfStream(boolean peerGone) {
            if (peerGone && !pending.isEmpty()) {
                // Everything the peer wrote has been read, and it is gone: what we still
                // hold can never arrive, so say what was lost.
                fail(UnsentBytes.peerClosed(target.path(), pending.size(), null));
                return;
            }
            complete(out);
            if (peerGone || !settings.halfClose()) {
                closeChannel();
            } else {
                maybeComplete();
            }
        }

        /**
         * A ring operation failed. If the actor closed the channel itself, its
         * release says why (and arrives next); anything else fails the stream.
         */
        private void ringFailed(Throwable e) {
            if (e instanceof io.vchan.bridge.ring.VchanClosedException && endpoint.isClosed()) {
                return;
            }
            fail(Failures.toApi(e));
        }

        /**
         * Copies what fits of the pending bytes after what is queued now has been
         * handled: elements that upstream hands over in one go share a ring write
         * (writev batching), while a lone element waits no longer than that.
         */
        private void flushSoon() {
            if (!flushScheduled) {
                flushScheduled = true;
                onFlushSoon.invoke(Done.getInstance());
            }
        }

        /**
         * Copies pending bytes into the ring as space allows; with the ring full,
         * arms the peer's notification and waits for the port. Once all is in,
         * pulls upstream again or finishes writing.
         */
        private void flush() {
            if (ring == null || closing) {
                return;
            }
            try {
                if (!pending.isEmpty()) {
                    int n = ring.writeOrArm(pending, settings.spinBeforeSleep());
                    if (n > 0) {
                        touch();
                        pending = pending.drop(n);
                    }
                    if (!pending.isEmpty()) {
                        return; // the ring is full: the peer signals when it reads
                    }
                    ring.countRingWrite();
                }
            } catch (IOException | RuntimeException e) {
                ringFailed(e);
                return;
            }
            if (!isClosed(in) && !hasBeenPulled(in)) {
                pull(in);
            }
            maybeFinishWriting();
        }

        /** Upstream done and everything in the ring: half-close (E1) or close. */
        private void maybeFinishWriting() {
            if (!upstreamDone || !pending.isEmpty() || writingDone || closing) {
                return;
            }
            if (!settings.halfClose()) {
                closeChannel();
                return;
            }
            try {
                endpoint.shutdownWrite();
            } catch (IOException e) {
                ringFailed(e);
                return;
            }
            writingDone = true;
            maybeComplete();
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
            handle.actor().tell(EndpointProtocol.Close.INSTANCE);
        }

        /**
         * Aborts the channel with {@code cause} (the peer sees it close), reports it as
         * failed with that cause ({@code whenClosed}), fails downstream and cancels
         * upstream with it, so that nobody takes this for an orderly end. If the actor
         * failed first it has stopped already; telling it again costs a dead letter at most.
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
                cancel(in, cause);
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
            Duration idle = settings.idleTimeout().orElseThrow(); // only scheduled with one
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
                handle.actor().tell(EndpointProtocol.Close.INSTANCE);
            }
        }
    }
}
