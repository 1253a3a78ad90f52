package io.vchan.connector.impl;

import org.apache.pekko.annotation.InternalApi;

/** INTERNAL API: the connector's domain ids and the bridge's are the same numbers. */
@InternalApi
public final class Domains {

    private Domains() {
    }

    public static io.vchan.bridge.xen.DomainId bridge(io.vchan.connector.DomainId d) {
        return io.vchan.bridge.xen.DomainId.of(d.value());
    }

    public static io.vchan.connector.DomainId api(io.vchan.bridge.xen.DomainId d) {
        return io.vchan.connector.DomainId.of(d.value());
    }
}
