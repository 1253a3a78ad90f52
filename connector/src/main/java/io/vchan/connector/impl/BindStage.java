package io.vchan.connector.impl;

import io.vchan.bridge.events.PortEvents;
import io.vchan.bridge.ring.RingEndpoint;
import io.vchan.bridge.ring.ServerKeys;
import io.vchan.bridge.xen.XenException;
import io.vchan.connector.IncomingVchanConnection;
import io.vchan.connector.VchanBinding;
import io.vchan.connector.VchanConnection;
import io.vchan.connector.VchanSettings;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.Done;
import org.apache.pekko.annotation.InternalApi;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.SourceShape;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.stage.AbstractGraphStageWithMaterializedValue;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.AsyncCallback;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.util.ByteString;
/**
 * INTERNAL API: the source of {@code Vchan.bind}: publishes a server channel and, when
 * downstream asks, hands the client that connected to it downstream as an
 * {@link IncomingVchanConnection}; once that connection's channel is closed it
 * publishes again for the next client. One client at a time: a vchan has two ends.
 *
 * <p>Each client gets a freshly published channel, not a reset one: the
 * endpoint actor of a connection closes the endpoint it owns, which releases
 * its grants and port and removes its XenStore directory. That removal is also
 * why the next publication waits until the previous endpoint is closed.
 */
@InternalApi
public final class BindStage
        extends AbstractGraphStageWithMaterializedValue<SourceShape<IncomingVchanConnection>,
                CompletionStage<VchanBinding>> {

    private final VchanRuntime runtime;
    private final VchanSettings settings;
    private final Target target;
    private final EndpointOpener publisher;
    private final Executor blocking;
    private final Outlet<IncomingVchanConnection> out = Outlet.create("VchanBind.out");
    private final SourceShape<IncomingVchanConnection> shape = SourceShape.of(out);

    /**
     * @param publisher publishes the channel (its blocking steps run on the settings' blocking dispatcher,
     *                  as withdrawing and closing do: they wait on XenStore)
     */
    public BindStage(VchanRuntime runtime, VchanSettings settings, Target target, EndpointOpener publisher) {
        this.runtime = runtime;
        this.settings = settings;
        this.target = target;
        this.publisher = publisher;
        this.blocking = runtime.blocking(settings);
    }

    @Override
    public SourceShape<IncomingVchanConnection> shape() {
        return shape;
    }

    @Override
    public Attributes initialAttributes() {
        return Attributes.name("vchanBind");
    }

    @Override
    public Pair<GraphStageLogic, CompletionStage<VchanBinding>> createLogicAndMaterializedValuePair(
            Attributes inheritedAttributes) {
        CompletableFuture<VchanBinding> bound = new CompletableFuture<>();
        return Pair.create(new Logic(bound), bound);
    }

    private final class Logic extends GraphStageLogic {
        private final CompletableFuture<VchanBinding> bound;
        private final CompletableFuture<Done> unbound = new CompletableFuture<>();
        /** A publication on its way from the blocking thread; see {@link #publish}. */
        private final EndpointHandoff handoff = new EndpointHandoff();
        private AsyncCallback<Object> onPublished;
        private AsyncCallback<Done> onPortFired;
        private AsyncCallback<ChannelHandover> onReleased;
        private AsyncCallback<Done> onUnbind;
        private AsyncCallback<Done> onClosed;

        private boolean publishing;
        /** Published; its client, if any, not yet handed downstream. */
        private RingEndpoint waiting;
        /** The waiting endpoint's port, as the event loop hands it to us. */
        private PortEvents waitingEvents;
        /** Set once its client is in: removing the keys from XenStore. */
        private CompletableFuture<Void> waitingWithdrawn;
        /** Handed downstream; the next publication waits until it is released. */
        private ChannelHandover current;
        private CompletableFuture<Void> currentWithdrawn;
        private boolean stopping;
        private int closing;

        Logic(CompletableFuture<VchanBinding> bound) {
            super(shape);
            this.bound = bound;
            setHandler(out, new AbstractOutHandler() {
                @Override
                public void onPull() {
                    lookForClient();
                }

                @Override
                public void onDownstreamFinish(Throwable cause) {
                    stop();
                }
            });
        }

        @Override
        public void preStart() {
            setKeepGoing(true); // until what we published is closed
            onPublished = createAsyncCallback(this::published);
            onPortFired = createAsyncCallback(d -> portFired());
            onReleased = createAsyncCallback(this::released);
            onUnbind = createAsyncCallback(d -> stop());
            onClosed = createAsyncCallback(d -> {
                closing--;
                maybeFinish();
            });
            publish();
        }

        /** If the stage stops first, whoever comes second closes the endpoint: nothing leaks. */
        private void publish() {
            publishing = true;
            // publishing never waits for the peer, so nothing needs telling that the stage stopped
            publisher.open(blocking, new CompletableFuture<>()).whenComplete((ep, err) -> {
                if (err != null) {
                    onPublished.invoke(Failures.toApi(err));
                } else if (handoff.offer(ep)) {
                    onPublished.invoke(ep);
                }
            });
        }

        private void published(Object result) {
            publishing = false;
            if (result instanceof Throwable e) {
                if (stopping) {
                    maybeFinish();
                } else {
                    failBinding(e);
                }
                return;
            }
            RingEndpoint ep = (RingEndpoint) result;
            handoff.taken(ep);
            if (stopping) {
                track(CompletableFuture.runAsync(ep::close, blocking));
                maybeFinish();
                return;
            }
            waiting = ep;
            waitingEvents = runtime.eventLoop().register(ep.eventChannels(), ep.port(), ep.peerDomain(),
                    ep::peerDomainGone, () -> onPortFired.invoke(Done.getInstance()));
            Binding binding = new Binding(target, () -> onUnbind.invoke(Done.getInstance()), unbound);
            runtime.track(binding::unbind, unbound);
            bound.complete(binding);
            lookForClient(); // the client may have come before we listened
        }

        /** The waiting endpoint's port fired: a client came, or one floods us before it does. */
        private void portFired() {
            RingEndpoint ep = waiting;
            PortEvents events = waitingEvents;
            lookForClient();
            if (ep != null && events != null) {
                // handed over or withdrawn: the client came; still waiting: an event without cause
                events.rearm(waiting != ep || waitingWithdrawn != null);
            }
        }

        /**
         * Once a client is in, withdraws the keys so that the next client waits for
         * its turn (its XenStore watch sees the next publication) instead of
         * meeting a busy channel; hands the client downstream when asked.
         */
        private void lookForClient() {
            if (waiting == null || stopping) {
                return;
            }
            if (waitingWithdrawn == null) {
                try {
                    if (waiting.peerState() == RingEndpoint.PeerState.WAITING) {
                        return;
                    }
                } catch (IOException e) {
                    failBinding(Failures.toApi(e));
                    return;
                }
                // If withdrawing fails, the keys still go when the endpoint closes.
                waitingWithdrawn = CompletableFuture.runAsync(this::withdrawKeys, blocking).exceptionally(e -> null);
            }
            if (isAvailable(out)) {
                handOver();
            }
        }

        private void handOver() {
            RingEndpoint ep = waiting;
            waiting = null;
            runtime.eventLoop().unregister(ep.eventChannels(), ep.port());
            ChannelHandover handover = new ChannelHandover(ep);
            current = handover;
            currentWithdrawn = waitingWithdrawn;
            waitingWithdrawn = null;
            currentWithdrawn.thenCombine(handover.released(), (a, b) -> handover)
                    .whenComplete((h, err) -> onReleased.invoke(handover));
            Flow<ByteString, ByteString, CompletionStage<VchanConnection>> flow =
                    Flow.fromGraph(new VchanStage(runtime, settings, target,
                            (setup, ownerStopped) -> CompletableFuture.completedFuture(handover.take())));
            push(out, new IncomingConnection(target, flow));
        }

        private void withdrawKeys() {
            try {
                ServerKeys.withdraw(runtime.platform(), target.self(), target.path());
            } catch (XenException e) {
                throw new CompletionException(e);
            }
        }

        private void released(ChannelHandover handover) {
            if (handover != current) {
                return;
            }
            current = null;
            if (!stopping) {
                publish();
            }
        }

        /** Unbind or cancel: unpublish, close what no connection owns, then complete. */
        private void stop() {
            if (stopping) {
                return;
            }
            stopping = true;
            if (!isClosed(out)) {
                complete(out);
            }
            if (waiting != null) {
                RingEndpoint ep = waiting;
                waiting = null;
                runtime.eventLoop().unregister(ep.eventChannels(), ep.port());
                CompletableFuture<Void> withdrawn = waitingWithdrawn != null
                        ? waitingWithdrawn : CompletableFuture.completedFuture(null);
                track(withdrawn.thenRunAsync(ep::close, blocking));
            }
            if (current != null) {
                ChannelHandover h = current;
                current = null;
                track(currentWithdrawn.thenRunAsync(h::closeIfUntaken, blocking));
            }
            maybeFinish();
        }

        private void track(CompletionStage<?> close) {
            closing++;
            close.whenComplete((v, err) -> onClosed.invoke(Done.getInstance()));
        }

        private void maybeFinish() {
            if (stopping && !publishing && closing == 0) {
                unbound.complete(Done.getInstance());
                completeStage();
            }
        }

        private void failBinding(Throwable cause) {
            bound.completeExceptionally(cause);
            unbound.completeExceptionally(cause);
            failStage(cause);
        }

        @Override
        public void postStop() {
            // Normally nothing is left here; after a failure or an abrupt shutdown, close on this thread.
            handoff.stop().ifPresent(RingEndpoint::close);
            if (waiting != null) {
                runtime.eventLoop().unregister(waiting.eventChannels(), waiting.port());
                waiting.close();
            }
            if (current != null) {
                current.closeIfUntaken();
            }
            bound.completeExceptionally(new IllegalStateException(
                    "the vchan binding at " + target.path() + " stopped before it was published"));
            unbound.complete(Done.getInstance());
        }
    }
}
