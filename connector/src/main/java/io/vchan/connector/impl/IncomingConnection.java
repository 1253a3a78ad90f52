package io.vchan.connector.impl;

import io.vchan.connector.DomainId;
import io.vchan.connector.IncomingVchanConnection;
import io.vchan.connector.VchanConnection;
import io.vchan.connector.VchanPort;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.annotation.InternalApi;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.util.ByteString;

/** INTERNAL API: a client the bind source hands downstream. */
@InternalApi
record IncomingConnection(Target target, Flow<ByteString, ByteString, CompletionStage<VchanConnection>> flow)
        implements IncomingVchanConnection {

    @Override
    public DomainId localDomain() {
        return Domains.api(target.self());
    }

    @Override
    public DomainId peerDomain() {
        return Domains.api(target.peer());
    }

    @Override
    public VchanPort port() {
        return target.port();
    }

    @Override
    public String xenStorePath() {
        return target.path();
    }

    @Override
    public String toString() {
        return "IncomingVchanConnection(" + target.peer() + " -> " + target.self() + " on port " + target.port()
                + " at " + target.path() + ")";
    }
}
