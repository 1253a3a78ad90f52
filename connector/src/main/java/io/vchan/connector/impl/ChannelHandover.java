package io.vchan.connector.impl;

import io.vchan.bridge.ring.RingEndpoint;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A connected server endpoint that a binding hands to exactly one connection
 * flow: the first materialization takes it, later ones fail. The binding may
 * publish the path again only once the endpoint is closed (closing an endpoint
 * removes its XenStore directory): the endpoint itself says when.
 */
final class ChannelHandover {

    private final RingEndpoint endpoint;
    private final AtomicBoolean taken = new AtomicBoolean();

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

    /** When the binding shuts down: closes the endpoint unless a flow owns it. Blocks briefly. */
    void closeIfUntaken() {
        if (taken.compareAndSet(false, true)) {
            endpoint.close();
        }
    }

    /** Completes once the endpoint is closed, by its flow or by {@link #closeIfUntaken}. */
    CompletionStage<Void> released() {
        return endpoint.whenClosed();
    }

    /** A connection's flow materialized a second time. */
    static final class AlreadyHandledException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        AlreadyHandledException(String path) {
            super("the flow of the incoming vchan connection at " + path + " can be materialized only once");
        }
    }
}
