package io.vchan.samples.vmm;

import io.vchan.connector.DomainId;
import java.util.Optional;

/**
 * How the manager finds a guest: by the name its toolstack gave it (looked up
 * in XenStore at every connect, so a guest destroyed and created again under
 * the same name is found in its new domain), or at a fixed domain, named
 * {@code domN}. The name is what callers ask the manager about.
 */
public record GuestAddress(String name, Optional<DomainId> fixedDomain) {

    public GuestAddress {
        GuestDirectory.requireValidName(name);
    }

    /** The guest whose {@code /local/domain/N/name} is {@code name}, whatever N is now. */
    public static GuestAddress named(String name) {
        return new GuestAddress(name, Optional.empty());
    }

    /** The guest in domain {@code domain}, for as long as that is; named {@code domN}. */
    public static GuestAddress domain(DomainId domain) {
        return new GuestAddress("dom" + domain.value(), Optional.of(domain));
    }

    @Override
    public String toString() {
        return fixedDomain.isPresent() ? name : "guest '" + name + "'";
    }
}
