package io.vchan.connector;

import io.vchan.bridge.ring.VchanPath;

/**
 * A vchan port name: what both ends agree on, like a TCP port number. It names
 * the XenStore directory {@code /local/domain/<server>/data/vchan/<client>/<name>}.
 * Names are one or more of {@code [a-zA-Z0-9_-]}; the whole path must fit
 * libxenvchan's 49 characters (checked with the domains, see {@link #path}).
 */
public record VchanPort(String name) {

    /**
     * @param name the port name
     * @throws IllegalArgumentException if {@code name} is not a valid port name
     */
    public VchanPort {
        VchanPath.validatePort(name);
    }

    /**
     * @param name the port name
     * @return the port
     * @throws IllegalArgumentException if {@code name} is not a valid port name
     */
    public static VchanPort of(String name) {
        return new VchanPort(name);
    }

    /**
     * The XenStore directory of this port between a server and a client domain.
     *
     * @param server the domain that publishes the channel
     * @param client the domain that connects
     * @return the directory
     * @throws IllegalArgumentException if the path would not fit libxenvchan's limit
     */
    public String path(DomainId server, DomainId client) {
        return VchanPath.conventional(io.vchan.bridge.xen.DomainId.of(server.value()),
                io.vchan.bridge.xen.DomainId.of(client.value()), name);
    }

    @Override
    public String toString() {
        return name;
    }
}
