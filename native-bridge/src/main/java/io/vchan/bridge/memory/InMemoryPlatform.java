package io.vchan.bridge.memory;

import io.vchan.bridge.xen.DomainId;
import io.vchan.bridge.xen.EventChannels;
import io.vchan.bridge.xen.EventWaiter;
import io.vchan.bridge.xen.GrantMapper;
import io.vchan.bridge.xen.GrantSharer;
import io.vchan.bridge.xen.XenException;
import io.vchan.bridge.xen.XenPlatform;
import io.vchan.bridge.xen.XenStore;

/**
 * A simulated Xen host inside the JVM, in pure Java (like ocaml-vchan's
 * In_memory): grants are direct ByteBuffers, event channels and XenStore
 * are in-process tables with Xen's rules (the same ones xensim implements).
 * One instance is one host; handles can be opened as any domain, so both
 * ends of a vchan can live in one test.
 *
 * <p>Where it differs from Xen: several grant refs map as one buffer only if
 * they are consecutive pages of one share; a buffer stays readable after
 * unmap or revoke (Java cannot unmap it); a process's death is {@link #crash}
 * of its domain. {@link #resources()} counts what is held, for leak checks;
 * {@link #close()} closes every handle still open.
 */
public final class InMemoryPlatform implements XenPlatform {

    private final PortTable ports = new PortTable();
    private final GrantTable grants = new GrantTable(ports);
    private final MemoryStoreHost store = new MemoryStoreHost();
    private final HandleRegistry registry = new HandleRegistry(store::introduce, store::release);

    public InMemoryPlatform() {
        // dom0 exists from the start, as on a booted host.
        store.introduce(DomainId.DOM0);
    }

    @Override
    public String name() {
        return "in-jvm";
    }

    /** dom0: code that doesn't say which domain it is acts as the host's control domain. */
    @Override
    public DomainId selfDomain() {
        return DomainId.DOM0;
    }

    @Override
    public EventChannels openEventChannels(DomainId self) throws XenException {
        return registry.open(self, "xenevtchn_open", () -> new MemoryEventChannels(self, registry, ports));
    }

    @Override
    public GrantSharer openGrantSharer(DomainId self) throws XenException {
        return registry.open(self, "xengntshr_open", () -> new MemoryGrantSharer(self, registry, grants));
    }

    @Override
    public GrantMapper openGrantMapper(DomainId self) throws XenException {
        return registry.open(self, "xengnttab_open", () -> new MemoryGrantMapper(self, registry, grants));
    }

    @Override
    public XenStore openXenStore(DomainId self) throws XenException {
        return registry.open(self, "xs_open", () -> new MemoryXenStore(self, registry, store));
    }

    @Override
    public EventWaiter newEventWaiter() throws XenException {
        return registry.openWaiter();
    }

    /** What the host holds now; all zero once everything opened on it is closed. */
    public Resources resources() {
        return new Resources(registry.handleCount(), registry.waiterCount(), grants.grantCount(),
                grants.mappingCount(), ports.count(), store.watchCount(), store.transactionCount());
    }

    /**
     * What the death of every process of {@code domain} does on Xen: the kernel
     * closes their handles, so mappings go (with their unmap notifications,
     * which tell peers), ports are unbound and XenStore connections closed. Nothing
     * of the vchan protocol's own close happens. The domain may open handles again.
     */
    public void crash(DomainId domain) {
        registry.closeDomain(domain);
    }

    /** Closes every handle and waiter still open; later opens fail with ECONNREFUSED. */
    @Override
    public void close() {
        registry.closeAll();
    }

    @Override
    public String toString() {
        return "in-JVM Xen host " + Integer.toHexString(System.identityHashCode(this));
    }
}
