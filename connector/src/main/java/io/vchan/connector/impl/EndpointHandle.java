package io.vchan.connector.impl;

import io.vchan.bridge.ring.RingEndpoint;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.annotation.InternalApi;

/**
 * INTERNAL API: an endpoint actor and what it reports; a Flow stage takes its events over with {@code route}.
 * {@code whenClosed} is {@code closed} as the API reports it (failures as the connector's exceptions): the one
 * future users and the coordinated shutdown both wait on.
 */
@InternalApi
public record EndpointHandle(ActorRef<EndpointProtocol.Command> actor, CompletableFuture<RingEndpoint> opened,
        CompletableFuture<Void> closed, CompletionStage<Done> whenClosed, ConnectionCounters counters,
        EventRoute route) {
}
