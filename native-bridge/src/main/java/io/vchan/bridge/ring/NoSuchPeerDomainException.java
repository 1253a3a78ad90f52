package io.vchan.bridge.ring;

import io.vchan.bridge.xen.DomainId;
import java.io.IOException;

/**
 * A server was asked to publish for a domain that does not exist. On real Xen
 * that would be a silent trap: XenStore ignores permission entries naming a
 * domain created after the node was written (XSA-322), so the domain, once
 * created, could never read the keys and its client would get EACCES for ever.
 */
public final class NoSuchPeerDomainException extends IOException {

    private static final long serialVersionUID = 1L;

    NoSuchPeerDomainException(DomainId peer, String path) {
        super(peer + " does not exist, so " + path + " cannot be published for it: XenStore ignores permissions"
                + " for domains created after a node is written (XSA-322), and the domain could never read the"
                + " keys. Publish once the domain is created (xl create -p, then serve, then xl unpause).");
    }
}
