package io.vchan.connector.impl;

import io.vchan.bridge.ring.RingEndpoint;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.annotation.InternalApi;

/** INTERNAL API: an endpoint actor and what it reports; a Flow stage takes its events over with {@code route}. */
@InternalApi
public record EndpointHandle(ActorRef<EndpointProtocol.Command> actor, CompletableFuture<RingEndpoint> opened,
        CompletableFuture<Void> closed, ConnectionCounters counters, EventRoute route) {
}
