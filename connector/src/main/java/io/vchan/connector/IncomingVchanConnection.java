package io.vchan.connector;

import io.vchan.bridge.xen.DomainId;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.ClassicActorSystemProvider;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.util.ByteString;

/**
 * A client that connected to a {@link VchanBinding}, like Pekko's
 * {@code Tcp.IncomingConnection}: handle it by joining its {@link #flow()}
 * with a handler, once. The binding serves its next client after this
 * connection's flow has ended and its channel is released.
 */
public final class IncomingVchanConnection {

    private final DomainId localDomain;
    private final DomainId peerDomain;
    private final VchanPort port;
    private final String path;
    private final Flow<ByteString, ByteString, CompletionStage<VchanConnection>> flow;

    /** Made by the bind source. */
    public IncomingVchanConnection(DomainId localDomain, DomainId peerDomain, VchanPort port, String path,
            Flow<ByteString, ByteString, CompletionStage<VchanConnection>> flow) {
        this.localDomain = localDomain;
        this.peerDomain = peerDomain;
        this.port = port;
        this.path = path;
        this.flow = flow;
    }

    public DomainId localDomain() {
        return localDomain;
    }

    public DomainId peerDomain() {
        return peerDomain;
    }

    public VchanPort port() {
        return port;
    }

    /** The XenStore directory the client found the channel in. */
    public String xenStorePath() {
        return path;
    }

    /**
     * The connection as a flow: what it emits came from the client, what it
     * takes goes to the client. Materialize it once; a second materialization fails.
     */
    public Flow<ByteString, ByteString, CompletionStage<VchanConnection>> flow() {
        return flow;
    }

    /** Runs {@code handler} over this connection and returns the handler's materialized value. */
    public <M> M handleWith(Flow<ByteString, ByteString, M> handler, Materializer materializer) {
        return flow.joinMat(handler, Keep.right()).run(materializer);
    }

    /** As {@link #handleWith(Flow, Materializer)}, with the system's materializer. */
    public <M> M handleWith(Flow<ByteString, ByteString, M> handler, ClassicActorSystemProvider system) {
        return handleWith(handler, Materializer.matFromSystem(system));
    }

    @Override
    public String toString() {
        return "IncomingVchanConnection(" + peerDomain + " -> " + localDomain + " on port " + port + " at " + path
                + ")";
    }
}
