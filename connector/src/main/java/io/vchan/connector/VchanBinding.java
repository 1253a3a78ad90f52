package io.vchan.connector;

import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;

/**
 * A channel published by {@link Vchan#bind}, serving one client after another:
 * the materialized value of the bind source, like Pekko's
 * {@code Tcp.ServerBinding}. Made by the connector.
 */
public interface VchanBinding extends VchanChannel {

    /**
     * Stops accepting clients: the channel is unpublished, the source completes
     * and everything not handed to a connection is released. A connection being
     * handled goes on until its flow ends. Idempotent.
     *
     * @return completes once unbound, as {@link #whenUnbound()}
     */
    CompletionStage<Done> unbind();

    /**
     * @return completes once unbound (by {@link #unbind} or by cancelling the source); fails if
     *         the binding failed
     */
    CompletionStage<Done> whenUnbound();
}
