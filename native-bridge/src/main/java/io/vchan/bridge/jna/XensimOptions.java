package io.vchan.bridge.jna;

import io.vchan.bridge.xen.DomainId;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where xensim is and who we are on it, where the caller knows better than the
 * environment: the host's directory ({@code XENSIM_DIR} otherwise), the
 * libraries' directory (the {@code vchan.xensim.libdir} property or the jar's
 * copy otherwise), and the domain we act as ({@code XENSIM_DOMID} or dom0).
 */
public record XensimOptions(Optional<Path> hostDir, Optional<Path> libraryDir, Optional<DomainId> domain) {

    /** Everything from the environment. */
    public static final XensimOptions DEFAULTS = new XensimOptions(Optional.empty(), Optional.empty(),
            Optional.empty());
}
