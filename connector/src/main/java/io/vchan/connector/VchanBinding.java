package io.vchan.connector;

import io.vchan.bridge.xen.DomainId;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;

/**
 * A channel published by {@link Vchan#bind}, serving one client after another:
 * the materialized value of the bind source, like Pekko's
 * {@code Tcp.ServerBinding}.
 */
public final class VchanBinding {

    private final DomainId localDomain;
    private final DomainId peerDomain;
    private final VchanPort port;
    private final String path;
    private final Runnable unbind;
    private final CompletionStage<Done> whenUnbound;

    /** Made by {@link Vchan#bind}; {@code unbind} asks the binding to stop, {@code whenUnbound} says it has. */
    public VchanBinding(DomainId localDomain, DomainId peerDomain, VchanPort port, String path, Runnable unbind,
            CompletionStage<Done> whenUnbound) {
        this.localDomain = localDomain;
        this.peerDomain = peerDomain;
        this.port = port;
        this.path = path;
        this.unbind = unbind;
        this.whenUnbound = whenUnbound;
    }

    /** The domain serving. */
    public DomainId localDomain() {
        return localDomain;
    }

    /** The only domain that may connect. */
    public DomainId peerDomain() {
        return peerDomain;
    }

    public VchanPort port() {
        return port;
    }

    /** The XenStore directory clients find the channel in. */
    public String xenStorePath() {
        return path;
    }

    /**
     * Stops accepting clients: the channel is unpublished, the source completes
     * and everything not handed to a connection is released. A connection being
     * handled goes on until its flow ends. Idempotent.
     */
    public CompletionStage<Done> unbind() {
        unbind.run();
        return whenUnbound;
    }

    /** Completes once unbound (by {@link #unbind} or by cancelling the source); fails if the binding failed. */
    public CompletionStage<Done> whenUnbound() {
        return whenUnbound;
    }

    @Override
    public String toString() {
        return "VchanBinding(" + localDomain + " serving " + peerDomain + " on port " + port + " at " + path + ")";
    }
}
