package io.vchan.connector.impl;

import io.vchan.bridge.ring.Role;
import io.vchan.bridge.xen.DomainId;
import io.vchan.connector.VchanPort;
import org.apache.pekko.annotation.InternalApi;

/** INTERNAL API: which channel — our role, the domains, the port and its XenStore path. */
@InternalApi
public record Target(Role role, DomainId self, DomainId peer, VchanPort port, String path) {

    public boolean server() {
        return role == Role.SERVER;
    }
}
