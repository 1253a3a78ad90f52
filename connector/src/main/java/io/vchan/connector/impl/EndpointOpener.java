package io.vchan.connector.impl;

import io.vchan.bridge.ring.RingEndpoint;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import org.apache.pekko.annotation.InternalApi;

/**
 * INTERNAL API: how an endpoint's owner gets its endpoint: publishes it, or connects.
 */
@FunctionalInterface
@InternalApi
public interface EndpointOpener {

    /**
     * Starts opening. Steps that block (XenStore requests, mapping) run on
     * {@code setup}; a wait for the peer must not hold a thread. If
     * {@code ownerStopped} completes first, a wait still pending gives up; an
     * endpoint made anyway is closed by the owner.
     */
    CompletableFuture<RingEndpoint> open(Executor setup, CompletableFuture<Void> ownerStopped);

    /** An opener that runs {@code call} on the set-up executor: for set-up that does not wait for the peer. */
    static EndpointOpener onSetup(Callable<RingEndpoint> call) {
        return (setup, ownerStopped) -> CompletableFuture.supplyAsync(() -> {
            try {
                return call.call();
            } catch (Exception e) {
                throw new CompletionException(e);
            }
        }, setup);
    }
}
