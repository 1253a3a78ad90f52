package io.vchan.connector;

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
 * connection's flow has ended and its channel is released. Made by the
 * connector.
 */
public interface IncomingVchanConnection extends VchanChannel {

    /**
     * The connection as a flow: what it emits came from the client, what it
     * takes goes to the client. Materialize it once; a second materialization fails.
     *
     * @return the connection's flow
     */
    Flow<ByteString, ByteString, CompletionStage<VchanConnection>> flow();

    /**
     * Runs {@code handler} over this connection.
     *
     * @param <M>          the handler's materialized value
     * @param handler      what answers the client
     * @param materializer runs the joined flows
     * @return the handler's materialized value
     */
    default <M> M handleWith(Flow<ByteString, ByteString, M> handler, Materializer materializer) {
        return flow().joinMat(handler, Keep.right()).run(materializer);
    }

    /**
     * As {@link #handleWith(Flow, Materializer)}, with the system's materializer.
     *
     * @param <M>     the handler's materialized value
     * @param handler what answers the client
     * @param system  the actor system whose materializer runs the flows
     * @return the handler's materialized value
     */
    default <M> M handleWith(Flow<ByteString, ByteString, M> handler, ClassicActorSystemProvider system) {
        return handleWith(handler, Materializer.matFromSystem(system));
    }
}
