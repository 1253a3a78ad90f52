package io.vchan.connector.impl;

import io.vchan.connector.DomainId;
import io.vchan.connector.VchanChannel;
import io.vchan.connector.VchanPort;
import org.apache.pekko.annotation.InternalApi;

/** INTERNAL API: a {@link VchanChannel} named by its {@link Target}: what the connector's records share. */
@InternalApi
public interface ChannelOfTarget extends VchanChannel {

    Target target();

    @Override
    default DomainId localDomain() {
        return Domains.api(target().self());
    }

    @Override
    default DomainId peerDomain() {
        return Domains.api(target().peer());
    }

    @Override
    default VchanPort port() {
        return target().port();
    }

    @Override
    default String xenStorePath() {
        return target().path();
    }
}
