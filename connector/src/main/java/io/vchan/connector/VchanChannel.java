package io.vchan.connector;

/**
 * What names a vchan channel: the two domains, the port, and the XenStore
 * directory the server published it in. Connections, bindings, incoming
 * connections and endpoints all are one.
 */
public interface VchanChannel {

    /** @return the domain this end acts as (for a binding or an incoming connection: the server) */
    DomainId localDomain();

    /** @return the domain at the other end (for a binding: the only one that may connect) */
    DomainId peerDomain();

    /** @return the port both ends agreed on */
    VchanPort port();

    /** @return the XenStore directory holding {@code ring-ref} and {@code event-channel} */
    String xenStorePath();
}
