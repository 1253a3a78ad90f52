package io.vchan.connector.impl;

import io.vchan.connector.IncomingVchanConnection;
import io.vchan.connector.VchanConnection;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.annotation.InternalApi;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.util.ByteString;

/** INTERNAL API: a client the bind source hands downstream. */
@InternalApi
record IncomingConnection(Target target, Flow<ByteString, ByteString, CompletionStage<VchanConnection>> flow)
        implements IncomingVchanConnection, ChannelOfTarget {

    @Override
    public String toString() {
        return "IncomingVchanConnection(" + target.peer() + " -> " + target.self() + " on port " + target.port()
                + " at " + target.path() + ")";
    }
}
