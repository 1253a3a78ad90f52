package io.vchan.connector;

import io.vchan.bridge.ring.VchanPath;
import io.vchan.bridge.xen.DomainId;

/**
 * A vchan port name: what both ends agree on, like a TCP port number. It names
 * the XenStore directory {@code /local/domain/<server>/data/vchan/<client>/<name>}.
 * Names are one or more of {@code [a-zA-Z0-9_-]}; the whole path must fit
 * libxenvchan's 49 characters (checked with the domains, see {@link #path}).
 */
public record VchanPort(String name) {

    public VchanPort {
        VchanPath.validatePort(name);
    }

    public static VchanPort of(String name) {
        return new VchanPort(name);
    }

    /** The XenStore directory of this port between a server and a client domain. */
    public String path(DomainId server, DomainId client) {
        return VchanPath.conventional(server, client, name);
    }

    @Override
    public String toString() {
        return name;
    }
}
