package io.vchan.connector.impl;

import io.vchan.bridge.memory.InMemoryPlatform;
import io.vchan.bridge.xen.DomainId;
import io.vchan.bridge.xen.EventChannels;
import io.vchan.bridge.xen.EventWaiter;
import io.vchan.bridge.xen.GrantMapper;
import io.vchan.bridge.xen.GrantSharer;
import io.vchan.bridge.xen.XenException;
import io.vchan.bridge.xen.XenPlatform;
import io.vchan.bridge.xen.XenStore;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.annotation.InternalApi;

/**
 * INTERNAL API: in-JVM Xen hosts shared by name ({@code vchan.in-jvm.host}),
 * so that several actor systems of one JVM — several simulated domains, as
 * services on separate domains would be — talk over one host. Each runtime
 * holds a lease; the host closes with the last one.
 */
@InternalApi
public final class InJvmHosts {

    private static final Map<String, Shared> HOSTS = new HashMap<>();

    private InJvmHosts() {
    }

    private static final class Shared {
        final InMemoryPlatform platform = new InMemoryPlatform();
        int leases;
    }

    /** A lease on the host called {@code name}, made on first use. */
    static synchronized XenPlatform lease(String name) {
        Shared host = HOSTS.computeIfAbsent(name, n -> new Shared());
        host.leases++;
        return new Lease(name, host.platform);
    }

    private static synchronized void release(String name) {
        Shared host = HOSTS.get(name);
        if (host != null && --host.leases == 0) {
            HOSTS.remove(name);
            host.platform.close();
        }
    }

    /** The host called {@code name}, while some actor system holds it. */
    public static synchronized Optional<InMemoryPlatform> host(String name) {
        return Optional.ofNullable(HOSTS.get(name)).map(h -> h.platform);
    }

    /** The host's platform for one runtime: closing it gives the lease back, once. */
    private static final class Lease implements XenPlatform {
        private final String name;
        private final InMemoryPlatform host;
        private boolean closed;

        Lease(String name, InMemoryPlatform host) {
            this.name = name;
            this.host = host;
        }

        @Override
        public String name() {
            return host.name();
        }

        @Override
        public DomainId selfDomain() {
            return host.selfDomain();
        }

        @Override
        public EventChannels openEventChannels(DomainId self) throws XenException {
            return host.openEventChannels(self);
        }

        @Override
        public GrantSharer openGrantSharer(DomainId self) throws XenException {
            return host.openGrantSharer(self);
        }

        @Override
        public GrantMapper openGrantMapper(DomainId self) throws XenException {
            return host.openGrantMapper(self);
        }

        @Override
        public XenStore openXenStore(DomainId self) throws XenException {
            return host.openXenStore(self);
        }

        @Override
        public EventWaiter newEventWaiter() throws XenException {
            return host.newEventWaiter();
        }

        @Override
        public synchronized void close() {
            if (!closed) {
                closed = true;
                release(name);
            }
        }

        @Override
        public String toString() {
            return "in-JVM Xen host '" + name + "'";
        }
    }
}
