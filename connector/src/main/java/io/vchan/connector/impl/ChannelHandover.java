package io.vchan.connector.impl;

import io.vchan.bridge.ring.RingEndpoint;
import io.vchan.connector.VchanConnection;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A connected server endpoint that a binding hands to exactly one connection
 * flow: the first materialization takes it, later ones fail. Tells the binding
 * when the endpoint is closed, since only then may the path be published again
 * (closing an endpoint removes its XenStore directory).
 */
final class ChannelHandover {

    /** How often to look whether a flow that failed before connecting let its endpoint go. */
    private static final long POLL_MILLIS = 5;

    private final RingEndpoint endpoint;
    private final AtomicBoolean taken = new AtomicBoolean();
    private final CompletableFuture<Void> released = new CompletableFuture<>();

    ChannelHandover(RingEndpoint endpoint) {
        this.endpoint = endpoint;
    }

    /** The opener of the connection flow. */
    RingEndpoint take() {
        if (!taken.compareAndSet(false, true)) {
            throw new AlreadyHandledException(endpoint.path());
        }
        return endpoint;
    }

    /** Follows one materialization of the flow until the endpoint it took is closed. */
    void watch(CompletionStage<VchanConnection> connection) {
        connection.whenComplete((c, err) -> {
            if (c != null) {
                c.whenClosed().whenComplete((done, closeErr) -> released.complete(null));
            } else if (!(err instanceof AlreadyHandledException)) {
                // Failed before connecting: the endpoint actor closes the endpoint but says nothing when.
                pollUntilClosed();
            }
        });
    }

    private void pollUntilClosed() {
        if (endpoint.isClosed()) {
            released.complete(null);
            return;
        }
        Executor later = CompletableFuture.delayedExecutor(POLL_MILLIS, TimeUnit.MILLISECONDS);
        later.execute(this::pollUntilClosed);
    }

    /** When the binding shuts down: closes the endpoint unless a flow owns it. Blocks briefly. */
    void closeIfUntaken() {
        if (taken.compareAndSet(false, true)) {
            endpoint.close();
            released.complete(null);
        }
    }

    /** Completes once the endpoint is closed, by its flow or by {@link #closeIfUntaken}. */
    CompletionStage<Void> released() {
        return released;
    }

    RingEndpoint endpoint() {
        return endpoint;
    }

    /** A connection's flow materialized a second time. */
    static final class AlreadyHandledException extends IllegalStateException {
        AlreadyHandledException(String path) {
            super("the flow of the incoming vchan connection at " + path + " can be materialized only once");
        }
    }
}
